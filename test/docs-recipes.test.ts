// The documentation's examples and recipes do what they say, on the backend the tests run on (PGlite by
// default, where only `hellojohn db sql` can reach the database):
// - README: the `/ready` example shows this release's number of migrations;
// - docs/hosted-pages.md: the branding recipe, run as written, brands the tenant's pages, and every logo
//   the pages show is one their Content-Security-Policy lets the browser load;
// - every `hellojohn db sql` recipe in the docs runs on the current schema;
// - every relative link of the docs reaches an existing file, and heading when it names one;
// - `hellojohn db sql`: rows, JSON, errors, and the embedded database's one-process rule.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrations } from '../src/composition.js';
import { FAST_ARGON2 } from './support/app.js';
import { BIN, childEnv, runCli, startServerProcess, type CliResult } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { freePort } from './support/net.js';

const REPO = path.resolve(import.meta.dirname, '..');
const doc = (file: string) => readFile(path.join(REPO, file), 'utf8');

/** The `hellojohn` binary with `input` on its standard input. */
function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const RECIPE = /hellojohn db sql - <<'SQL'\n([\s\S]*?)\nSQL\n/g;

/** The `hellojohn db sql - <<'SQL' … SQL` recipe of a doc section, as the shell would pass it. */
function heredocRecipe(markdown: string, section: string): string {
  const start = markdown.indexOf(`## ${section}`);
  assert.ok(start >= 0, `section ${section}`);
  const match = /hellojohn db sql - <<'SQL'\n([\s\S]*?)\nSQL\n/.exec(markdown.slice(start));
  assert.ok(match, `a hellojohn db sql recipe in ${section}`);
  return match[1]!;
}

/** Does a CSP `img-src` list allow `src` on a page of `pageOrigin`? (The source forms our CSP uses.) */
function imgSrcAllows(csp: string, pageOrigin: string, src: string): boolean {
  const directive = csp
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([name]) => name === 'img-src');
  assert.ok(directive, `img-src in ${csp}`);
  const url = new URL(src, pageOrigin);
  return directive.slice(1).some((source) => {
    if (source === "'self'") return url.origin === pageOrigin;
    if (/^[a-z][a-z0-9+.-]*:$/.test(source)) return url.protocol === source;
    return url.origin === source;
  });
}

const imgSources = (html: string) => [...html.matchAll(/<img\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1]!);

/** The Markdown files of the documentation, relative to the repository. */
async function docFiles(): Promise<string[]> {
  const docs = (await readdir(path.join(REPO, 'docs')))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', 'CONTRIBUTING.md', 'examples/express-app/README.md', ...docs];
}

/** GitHub's anchors for a file's headings (lower-case, punctuation dropped, spaces to "-", repeats numbered). */
async function headingAnchors(file: string): Promise<Set<string>> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = inCode ? null : /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base);
    seen.set(base, (count ?? -1) + 1);
    anchors.add(count === undefined ? base : `${base}-${count + 1}`);
  }
  return anchors;
}

test('docs: every relative link reaches an existing file, and heading', async () => {
  const broken: string[] = [];
  for (const file of await docFiles()) {
    for (const [, target] of (await doc(file)).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue;
      const [relative, anchor] = target!.split('#');
      const linked = relative ? path.join(REPO, path.dirname(file), relative) : path.join(REPO, file);
      if (!existsSync(linked)) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor && linked.endsWith('.md') && !(await headingAnchors(linked)).has(anchor))
        broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

describe('docs: the examples and recipes work as written', { timeout: 120_000 }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  let origin: string;
  const cli = async (...args: string[]) => {
    const result = await runCli(args, env);
    assert.equal(result.code, 0, `hellojohn ${args.join(' ')}: ${result.stderr}`);
    return result;
  };

  before(async () => {
    testDb = await createTestDatabase();
    origin = `http://127.0.0.1:${await freePort()}`;
    env = { ...testDb.env, ...FAST_ARGON2, BASE_URL: origin };
    await cli('migrate');
    await cli('tenants', 'create', '--slug', 'acme', '--name', 'Acme Corp');
    await cli('tenants', 'create', '--slug', 'devlogo', '--name', 'Dev logo');
  });

  after(async () => {
    await testDb?.drop();
  });

  test('hellojohn db sql: a table for people, JSON for scripts, one line and exit 1 for a bad statement', async () => {
    const table = await cli('db', 'sql', "SELECT slug, name, settings FROM tenants WHERE slug = 'acme'");
    assert.match(table.stdout, /^slug\s+name\s+settings\nacme\s+Acme Corp\s+\{\}\n\(1 row\)\n$/);
    const json = await cli('db', 'sql', '--json', 'SELECT count(*)::int AS tenants FROM tenants');
    assert.deepEqual(JSON.parse(json.stdout), { rows: [{ tenants: 3 }], row_count: 1 });
    const none = await cli('db', 'sql', "UPDATE tenants SET name = 'x' WHERE slug = 'nobody'");
    assert.equal(none.stdout, '(0 rows)\n');

    const bad = await runCli(['db', 'sql', 'SELEC 1'], env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(
      bad.stderr,
      /^hellojohn: database error: syntax error at or near "SELEC" \(SQLSTATE 42601\)\n$/m,
    );
    const empty = await runCli(['db', 'sql', ' '], env);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no SQL statement given/);
  });

  test('every `hellojohn db sql` recipe of the docs runs on this schema', async () => {
    let count = 0;
    for (const file of await docFiles()) {
      for (const [, sql] of (await doc(file)).matchAll(RECIPE)) {
        const result = await runCliWithInput(['db', 'sql', '-'], env, sql!);
        assert.equal(result.code, 0, `${file}: ${sql}\n${result.stderr}`);
        count++;
      }
    }
    assert.ok(count >= 3, `${count} recipes found`);
  });

  test('the branding recipe of hosted-pages.md brands the pages; every logo shown is allowed by the CSP', async () => {
    const recipe = heredocRecipe(await doc('docs/hosted-pages.md'), 'Branding');
    const applied = await runCliWithInput(['db', 'sql', '-'], env, recipe);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout, '(1 row)\n');
    // A development logo on http://localhost, for the second tenant.
    await cli(
      'db',
      'sql',
      `UPDATE tenants SET settings = jsonb_set(settings, '{branding}', '{"logo_url": "http://localhost:3000/logo.png"}') WHERE slug = 'devlogo'`,
    );

    const server = await startServerProcess({ ...env, PORT: new URL(origin).port });
    try {
      // README: the /ready example carries this release's number of migrations.
      const ready = (await (await fetch(`${origin}/ready`)).json()) as { migrations: number };
      assert.equal(ready.migrations, migrations.length);
      const readme = /\{"status":"ready","database":"[a-z]+","migrations":(\d+)\}/.exec(
        await doc('README.md'),
      );
      assert.ok(readme, 'the README shows a /ready answer');
      assert.equal(Number(readme[1]), migrations.length, 'README /ready example: migrations');

      const acme = await fetch(`${origin}/t/acme/login`);
      const html = await acme.text();
      assert.equal(acme.status, 200);
      assert.match(html, /<title>[^<]*Acme Cloud[^<]*<\/title>/);
      assert.match(html, /#0f766e/);
      assert.deepEqual(imgSources(html), ['https://cdn.acme.example/logo.svg']);

      for (const slug of ['acme', 'devlogo']) {
        const response = await fetch(`${origin}/t/${slug}/login`);
        const page = await response.text();
        const csp = response.headers.get('content-security-policy') ?? '';
        for (const src of imgSources(page))
          assert.ok(imgSrcAllows(csp, origin, src), `${slug}: <img src="${src}"> is blocked by ${csp}`);
      }

      // The embedded database has one owner at a time: with the server running, the command refuses.
      if (testDb.backend === 'pglite') {
        const refused = await runCli(['db', 'sql', 'SELECT 1'], env);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /is in use by process \d+ \(a running hellojohn\?\)/);
      }
    } finally {
      await server.stop();
    }
  });
});
