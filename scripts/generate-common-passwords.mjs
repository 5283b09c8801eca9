#!/usr/bin/env node
// Writes src/auth/common-passwords.data.ts: the COUNT most common passwords, lower-case, deduplicated,
// in frequency order, from the frequency-ordered `passwords-common` dictionary of the npm package
// @zxcvbn-ts/language-common (MIT; a devDependency, read through its public export, which decompresses
// the dictionary shipped in its dist files).
//
//   node scripts/generate-common-passwords.mjs           → (re)write the data file
//   node scripts/generate-common-passwords.mjs --check   → exit 1 if the data file is not what it would write
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dictionary } from '@zxcvbn-ts/language-common';

const COUNT = 10_000;
const PACKAGE = '@zxcvbn-ts/language-common';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, 'src/auth/common-passwords.data.ts');

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

// A template literal with one password a line; escape what a template literal would interpret.
const escape = (value) => value.replace(/[\\`]/g, '\\$&').replace(/\$\{/g, '\\${');
const output = `// GENERATED FILE, do not edit: node scripts/generate-common-passwords.mjs
// The ${COUNT} most common passwords, lower-case, deduplicated, in frequency order (most common first),
// taken from the "passwords-common" dictionary of the npm package ${PACKAGE}@${version}
// (${license} licence, https://github.com/zxcvbn-ts/zxcvbn; the list derives from zxcvbn by Dan Wheeler
// and Dropbox, Inc., also MIT). To regenerate after upgrading that devDependency:
//   npm install -D ${PACKAGE}@latest && node scripts/generate-common-passwords.mjs
export const COMMON_PASSWORDS: string = \`${passwords.map(escape).join('\n')}\`;
`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below
  }
  if (current !== output) {
    console.error(
      `${path.relative(root, target)} is out of date: run node scripts/generate-common-passwords.mjs`,
    );
    process.exit(1);
  }
  console.log(`${path.relative(root, target)} is up to date (${PACKAGE}@${version})`);
} else {
  writeFileSync(target, output);
  console.log(`wrote ${path.relative(root, target)}: ${COUNT} passwords from ${PACKAGE}@${version}`);
}
