#!/usr/bin/env node
// `npm test`: builds the package (the CLI tests run the real `hellojohn` binary, the console tests the built console), prepares a PGlite
// template when no PostgreSQL is configured, then runs every test/**/*.test.ts with node's test runner.
//
//   npm test                      → the whole suite on embedded PGlite
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test
//                                 → on real PostgreSQL (a fresh database per test, dropped after)
//   TEST_PGBOUNCER_URL=postgres://hellojohn:secret@127.0.0.1:6432/   adds the PgBouncer tests
//   TEST_DATABASE_VIA=pgbouncer   → (with both URLs) the application connects to every test database
//                                   through PgBouncer; creating, dropping and inspecting stay direct
//   TEST_REQUIRE_ALL=1            → a test whose prerequisites are missing fails instead of skipping
//   TEST_BROWSER=off              → skips the Chromium suites (CI runs them in one pass only)
//   TEST_CLI=core                 → skips the features' command suites (CI runs them in one pass only)
//   TEST_BUILD=done               → does not build first (the caller did)
//   npm test -- test/config.test.ts   → only the files named
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);

// TEST_BUILD=done: the caller built it already (CI builds once for its three passes).
if (process.env.TEST_BUILD !== 'done') {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

if (!process.env.TEST_DATABASE_URL) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { version } = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8'));
  const template = path.join(os.tmpdir(), `hellojohn-pglite-template-${version}`);
  if (!existsSync(path.join(template, '.ready'))) {
    mkdirSync(template, { recursive: true });
    const db = await PGlite.create(path.join(template, 'pglite'));
    await db.close();
    writeFileSync(path.join(template, '.ready'), '');
  }
  process.env.TEST_PGLITE_TEMPLATE = path.join(template, 'pglite');
}

const findTests = (dir) =>
  readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return entry === 'support' ? [] : findTests(full);
    return entry.endsWith('.test.ts') ? [full] : [];
  });

const named = process.argv.slice(2);
const files = named.length > 0 ? named : [...findTests('test'), ...findTests('src/modules')].sort();
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: process.env },
);
process.exit(result.status ?? 1);
