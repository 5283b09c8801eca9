// The access-control commands through the real `hellojohn` binary: resources and roles created, a system
// role (only the CLI makes one), permissions, JSON output, audited with via: 'cli'; bad arguments exit 2
// and write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2 } from '../../../test/support/app.js';
import { runCli, unlessFeatureCommands } from '../../../test/support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';

describe('hellojohn roles / resources', { skip: unlessFeatureCommands() }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  before(async () => {
    testDb = await createTestDatabase();
    env = { ...testDb.env, ...FAST_ARGON2 };
    const migrated = await cli('migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => testDb.drop());

  test('create a resource and a system role with one of its permissions', async () => {
    const resource = await json(
      'resources',
      'create',
      '--identifier',
      'https://api.example.com/cli',
      '--name',
      'CLI API',
      '--permissions',
      'read:cli,write:cli',
    );
    assert.deepEqual(resource.permissions, ['read:cli', 'write:cli']);
    const role = await json('roles', 'create', '--name', 'admin', '--system');
    assert.equal(role.system, true);
    const granted = await json(
      'roles',
      'add-permission',
      '--name',
      'admin',
      '--resource',
      'https://api.example.com/cli',
      '--permission',
      'write:cli',
    );
    assert.deepEqual(granted.permissions, [
      { resource: 'https://api.example.com/cli', permission: 'write:cli' },
    ]);
    const listed = await json('roles', 'list');
    assert.deepEqual(
      (listed.roles as { name: string }[]).map((r) => r.name),
      ['admin'],
    );
    const audit = await testDb.sql<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE type = 'role.created'`,
    );
    assert.equal(audit[0]?.data.via, 'cli');
  });

  test('bad arguments exit 2 and change nothing', async () => {
    for (const args of [
      ['resources', 'create', '--identifier', 'http://insecure.example.com', '--name', 'x'],
      ['resources', 'create', '--name', 'no identifier'],
      ['roles', 'create', '--name', 'has space'],
      ['roles', 'assign', '--user', 'not-an-id', '--name', 'admin'],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const roles = await testDb.sql(`SELECT name FROM rbac_roles`);
    assert.equal(roles.length, 1);
    const resources = await testDb.sql(`SELECT identifier FROM rbac_resources`);
    assert.equal(resources.length, 1);
  });
});
