// `hellojohn users list|get|update|block|unblock|delete|set-password|logout|export` through the real
// binary: the admin API's operations with --json, audited with via: 'cli'; bad arguments exit 2 and
// change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD } from '../../../test/support/app.js';
import { runCli, unlessFeatureCommands } from '../../../test/support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';

describe('hellojohn users (admin commands)', { skip: unlessFeatureCommands() }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json');
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  before(async () => {
    testDb = await createTestDatabase();
    env = { ...testDb.env, ...FAST_ARGON2 };
    assert.equal((await cli('migrate')).code, 0);
  });
  after(() => testDb.drop());

  test('create, list, update, block, set-password, logout, export, delete', async () => {
    const created = await json(
      'users',
      'create',
      '--email',
      'Cli.User@Example.com',
      '--password',
      STRONG_PASSWORD,
    );
    const id = created.id as string;
    // Through Registration: the verification link of an unverified address was written with it.
    const links = await testDb.sql<{ n: string }>(
      'SELECT count(*) AS n FROM email_tokens WHERE user_id = $1',
      [id],
    );
    assert.equal(Number(links[0]!.n), 1);

    const list = await json('users', 'list', '--email', 'cli.');
    assert.deepEqual(
      (list.users as { id: string }[]).map((u) => u.id),
      [id],
    );
    const updated = await json(
      'users',
      'update',
      '--email',
      'cli.user@example.com',
      '--phone-number',
      '+14155550123',
      '--app-metadata',
      '{"plan":"pro"}',
    );
    assert.equal(updated.phone_number, '+14155550123');
    assert.deepEqual(updated.app_metadata, { plan: 'pro' });
    assert.equal((await json('users', 'block', '--id', id)).blocked, true);
    assert.equal((await json('users', 'unblock', '--id', id)).blocked, false);
    const set = await json('users', 'set-password', '--id', id, '--password', 'Another-Long-Passphrase-99');
    assert.equal(set.status, 'password_set');
    assert.equal((await json('users', 'logout', '--id', id)).status, 'signed_out');
    const exported = await json('users', 'export', '--id', id);
    assert.equal((exported.user as { id: string }).id, id);
    assert.ok('mfa' in (exported.modules as object));

    const events = await testDb.sql<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM audit_events WHERE user_id = $1 AND type LIKE 'user.%' ORDER BY id`,
      [id],
    );
    for (const event of events) assert.equal(event.data.via, 'cli', event.type);
    assert.ok(!JSON.stringify(events).includes('Another-Long-Passphrase-99'));

    // Bad arguments: exit 2, nothing changed.
    for (const args of [
      ['users', 'get', '--id', 'not-a-uuid'],
      ['users', 'get'],
      ['users', 'update', '--id', id, '--phone-number', '12345'],
      ['users', 'update', '--id', id, '--app-metadata', 'not json'],
      ['users', 'list', '--cursor', 'garbage'],
      ['users', 'delete', '--id', id],
    ]) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.equal((await cli('users', 'get', '--id', '00000000-0000-4000-8000-000000000000')).code, 1);
    assert.equal((await json('users', 'delete', '--id', id, '--yes')).status, 'deleted');
    assert.equal((await cli('users', 'get', '--id', id)).code, 1);
  });
});
