// `hellojohn invitations create|list|get|resend|revoke` and `users list --role` through the real binary,
// in one run (each invocation costs a process start): JSON output, the link printed once, a resend's new
// link, revocation, audited with via: 'cli'; bad arguments exit 2 and write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2 } from '../../../test/support/app.js';
import { runCli, unlessFeatureCommands } from '../../../test/support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';

describe('hellojohn invitations', { skip: unlessFeatureCommands() }, () => {
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

  test('create, list, get, resend, revoke; users list --role; bad arguments', async () => {
    assert.equal((await cli('roles', 'create', '--name', 'editor')).code, 0);
    const created = await json(
      'invitations',
      'create',
      '--email',
      'cli-invitee@example.com',
      '--roles',
      'editor',
      '--expires-in',
      '3600',
      '--skip-email',
    );
    assert.equal(created.status, 'pending');
    assert.deepEqual(created.roles, ['editor']);
    assert.match(created.url as string, /\/invite\?token=[A-Za-z0-9_-]{43}$/);
    const id = created.id as string;

    const listed = await json('invitations', 'list', '--status', 'pending');
    assert.deepEqual(
      (listed.invitations as { id: string }[]).map((i) => i.id),
      [id],
    );
    const resent = await json('invitations', 'resend', '--id', id, '--skip-email');
    assert.notEqual(resent.url, created.url);
    const revoked = await json('invitations', 'revoke', '--id', id);
    assert.equal(revoked.status, 'revoked');
    const text = await cli('invitations', 'get', '--id', id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /revoked\s+cli-invitee@example\.com\s+\[editor\]/);
    assert.doesNotMatch(text.stdout, /token=/, 'the link is shown only when made');

    const again = await cli('invitations', 'revoke', '--id', id);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /not pending/);
    const unknownRole = await cli('invitations', 'create', '--email', 'x@example.com', '--roles', 'ghost');
    assert.equal(unknownRole.code, 2, unknownRole.stderr);
    assert.match(unknownRole.stderr, /ghost/);

    const holders = await json('users', 'list', '--role', 'editor');
    assert.deepEqual(holders.users, []);

    const audit = await testDb.sql<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM audit_events WHERE type LIKE 'invitation.%' ORDER BY created_at, id`,
    );
    assert.deepEqual(
      audit.map((a) => [a.type, a.data.via]),
      [
        ['invitation.created', 'cli'],
        ['invitation.created', 'cli'],
        ['invitation.revoked', 'cli'],
      ],
    );
    const rows = await testDb.sql(`SELECT 1 FROM invitations`);
    assert.equal(rows.length, 1, 'the refused one wrote nothing');
  });
});
