// Migrations only add (expand/contract): a destructive statement is allowed only in a migration marked as
// the contract step of an earlier deprecation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrations } from '../src/composition.js';
import type { Migration } from '../src/db/migrations/types.js';

const DESTRUCTIVE: [RegExp, string][] = [
  [/\bDROP\s+TABLE\b/i, 'DROP TABLE'],
  [/\bDROP\s+COLUMN\b/i, 'DROP COLUMN'],
  [/\bALTER\s+TABLE\b[^;]*\bDROP\s+(?!CONSTRAINT|DEFAULT|NOT\s+NULL)\w+/i, 'ALTER TABLE ... DROP'],
  [/\bRENAME\b/i, 'RENAME'],
  [/\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b/i, 'ALTER COLUMN ... TYPE'],
  [/\bTRUNCATE\b/i, 'TRUNCATE'],
  [/\bDROP\s+SCHEMA\b/i, 'DROP SCHEMA'],
];

/** SQL without comments and string literals, so a word inside either cannot trip or hide a check. */
function code(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}

export function destructiveStatements(migration: Migration): string[] {
  const body = code(migration.sql);
  return DESTRUCTIVE.filter(([pattern]) => pattern.test(body)).map(([, label]) => label);
}

test('no embedded migration is destructive unless it is a marked contract step', () => {
  for (const migration of migrations) {
    const found = destructiveStatements(migration);
    if (migration.contract) {
      assert.ok(
        migration.contract.deprecatedIn < migration.version,
        `${migration.version}: a contract step must follow the deprecation it completes`,
      );
      continue;
    }
    assert.deepEqual(
      found,
      [],
      `migration ${migration.version}_${migration.name} is destructive: ${found.join(', ')}`,
    );
  }
});

test('the check catches each destructive form and ignores comments and strings', () => {
  const sample = (sql: string): Migration => ({ version: 99, name: 'sample', sql });
  assert.deepEqual(destructiveStatements(sample('DROP TABLE users;')), ['DROP TABLE']);
  assert.ok(destructiveStatements(sample('ALTER TABLE users DROP COLUMN name;')).includes('DROP COLUMN'));
  assert.ok(destructiveStatements(sample('ALTER TABLE users RENAME TO people;')).includes('RENAME'));
  assert.ok(
    destructiveStatements(sample('ALTER TABLE users ALTER COLUMN name TYPE varchar(10);')).includes(
      'ALTER COLUMN ... TYPE',
    ),
  );
  assert.ok(
    destructiveStatements(sample('ALTER TABLE users ALTER COLUMN name SET DATA TYPE int;')).length > 0,
  );
  assert.deepEqual(destructiveStatements(sample("-- DROP TABLE users\nSELECT 'DROP TABLE x';")), []);
  assert.deepEqual(destructiveStatements(sample('ALTER TABLE users ALTER COLUMN name DROP NOT NULL;')), []);
});

test('migration versions are unique, increasing and named in snake_case', () => {
  const versions = migrations.map((m) => m.version);
  assert.deepEqual(
    versions,
    [...new Set(versions)].sort((a, b) => a - b),
  );
  for (const m of migrations) assert.match(m.name, /^[a-z][a-z0-9_]*$/);
});
