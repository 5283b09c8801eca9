#!/usr/bin/env node
// Writes assets/common-passwords.txt (the COUNT most common passwords, lower-case, deduplicated, in
// frequency order, one a line) and assets/common-passwords.md (where they come from), from the
// frequency-ordered `passwords-common` dictionary of the npm package @zxcvbn-ts/language-common (MIT; a
// devDependency, read through its public export, which decompresses the dictionary in its dist files).
// The server reads the list at its first password check (src/auth/common-passwords.ts).
//
//   node scripts/generate-common-passwords.mjs           → (re)write the asset
//   node scripts/generate-common-passwords.mjs --check   → exit 1 if the asset is not what it would write
//                                                          (npm run lint runs this: lint:data)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dictionary } from '@zxcvbn-ts/language-common';

const COUNT = 10_000;
const PACKAGE = '@zxcvbn-ts/language-common';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const list = path.join(root, 'assets/common-passwords.txt');
const notice = path.join(root, 'assets/common-passwords.md');

const require = createRequire(import.meta.url);
const { version, license } = JSON.parse(readFileSync(require.resolve(`${PACKAGE}/package.json`), 'utf8'));
const source = dictionary['passwords-common'];
if (!Array.isArray(source) || source.length < COUNT) {
  throw new Error(
    `${PACKAGE}@${version}: expected at least ${COUNT} entries in dictionary['passwords-common']`,
  );
}

const passwords = [];
const seen = new Set();
for (const entry of source) {
  if (typeof entry !== 'string') continue;
  const password = entry.normalize('NFC').toLowerCase();
  // One password a line: an entry that is empty or holds a line break cannot be represented.
  if (password === '' || /[\r\n]/.test(password) || seen.has(password)) continue;
  seen.add(password);
  passwords.push(password);
  if (passwords.length === COUNT) break;
}
if (passwords.length !== COUNT) throw new Error(`only ${passwords.length} usable entries, need ${COUNT}`);

const outputs = new Map([
  [list, `${passwords.join('\n')}\n`],
  [
    notice,
    `# common-passwords.txt

GENERATED, do not edit: \`node scripts/generate-common-passwords.mjs\`.

The ${COUNT} most common passwords, lower-case, deduplicated, in frequency order (most common first), one
a line (UTF-8, LF), taken from the "passwords-common" dictionary of the npm package
${PACKAGE}@${version} (${license} licence, https://github.com/zxcvbn-ts/zxcvbn; the list derives
from zxcvbn by Dan Wheeler and Dropbox, Inc., also MIT). To regenerate after upgrading that
devDependency:

    npm install -D ${PACKAGE}@latest && node scripts/generate-common-passwords.mjs

\`npm run lint\` fails when these files differ from what the script writes.
`,
  ],
]);

const relative = (file) => path.relative(root, file);
if (process.argv.includes('--check')) {
  const stale = [...outputs].filter(([file, content]) => {
    try {
      return readFileSync(file, 'utf8') !== content;
    } catch {
      return true; // missing
    }
  });
  if (stale.length > 0) {
    for (const [file] of stale) {
      console.error(`${relative(file)} is out of date: run node scripts/generate-common-passwords.mjs`);
    }
    process.exit(1);
  }
  console.log(`${[...outputs.keys()].map(relative).join(', ')}: up to date (${PACKAGE}@${version})`);
} else {
  for (const [file, content] of outputs) writeFileSync(file, content);
  console.log(`wrote ${relative(list)}: ${COUNT} passwords from ${PACKAGE}@${version}`);
}
