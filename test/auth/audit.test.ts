// The audit trail keeps no text typed into a credential field, and ages out (AUDIT_RETENTION, swept in
// batches). Every assert.ok has a message (see test/mail/mailer.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { sweepOnce } from '../../src/maintenance/sweeper.js';
import { STRONG_PASSWORD, startTestApp, type TestApp } from '../support/app.js';

/** Every table and column of the public schema whose text holds `needle` (case-insensitive). */
async function tablesContaining(t: TestApp, needle: string): Promise<string[]> {
  const tables = await t.db.query<{ name: string }>(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { name } of tables.rows) {
    const hits = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${name} AS r WHERE strpos(lower(r::text), lower($1)) > 0`,
      [needle],
    );
    if (hits.rows[0]!.n > 0) found.push(name);
  }
  return found;
}

test('a password typed into the email field leaves no trace in the database, even once locked out', async () => {
  const t = await startTestApp({ LOGIN_MAX_FAILURES: '3', RATE_LIMIT_PER_ACCOUNT: '100' });
  try {
    const typedPassword = 'Tr0ub4dor&3-my-real-password';
    const typedAddress = 'nobody.here@example.net';
    for (let i = 0; i < 5; i++) {
      const typo = await t.post('/v2/auth/login', { email: typedPassword, password: 'x' });
      assert.ok([401, 429].includes(typo.status), `login with the password as email: ${typo.status}`);
      await t.post('/v2/auth/login', { email: typedAddress, password: typedPassword });
    }
    assert.deepEqual(await tablesContaining(t, typedPassword), [], 'the typed password is nowhere');
    assert.deepEqual(await tablesContaining(t, 'my-real-password'), [], 'nor any part of it');
    assert.deepEqual(await tablesContaining(t, typedAddress), [], 'an unknown address is not kept either');

    // What is kept: the events, with a keyed fingerprint that correlates attempts on one address.
    const events = await t.db.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM audit_events WHERE type IN ('login.failed', 'login.locked') ORDER BY id`,
    );
    assert.ok(
      events.rows.some((e) => e.type === 'login.locked'),
      'lockouts are audited',
    );
    const prints = new Set(events.rows.map((e) => e.data.email_fingerprint).filter(Boolean));
    assert.equal(prints.size, 1, 'one fingerprint for the one unknown address');
    assert.match(String([...prints][0]), /^[0-9a-f]{32}$/);
    assert.ok(
      events.rows.some((e) => e.data.email_refused === true),
      'an attempt with no valid address is marked as such, without its text',
    );

    // A known account's failures carry its user id, not the address.
    const email = 'known.user@example.com';
    await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    await t.post('/v2/auth/login', { email, password: 'wrong-password-typed' });
    const known = await t.db.query<{ user_id: string | null; data: Record<string, unknown> }>(
      `SELECT user_id, data FROM audit_events WHERE type = 'login.failed' ORDER BY id DESC LIMIT 1`,
    );
    assert.ok(known.rows[0]!.user_id, 'the user id is kept');
    assert.equal(known.rows[0]!.data.email_fingerprint, undefined);
    assert.deepEqual(await tablesContaining(t, 'wrong-password-typed'), []);
  } finally {
    await t.close();
  }
});

test('audit events older than the retention are swept in batches; 0 keeps them', async () => {
  const t = await startTestApp();
  try {
    for (let i = 0; i < 7; i++)
      await t.post('/v2/auth/login', { email: `old${i}@example.com`, password: 'x' });
    await t.db.query(`UPDATE audit_events SET created_at = now() - interval '91 days'`);
    for (let i = 0; i < 2; i++)
      await t.post('/v2/auth/login', { email: `new${i}@example.com`, password: 'x' });
    const count = async () =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`)).rows[0]!.n;
    assert.equal(await count(), 9);

    assert.equal((await sweepOnce(t.db, 2, 0)).deleted.audit_events, 0, 'retention 0 keeps everything');
    const retention = loadConfig({}).sweeper.auditRetentionMs;
    assert.equal(retention, 90 * 86_400_000, 'the default retention is 90 days');
    const { deleted } = await sweepOnce(t.db, 2, retention);
    assert.equal(deleted.audit_events, 7, 'seven old events, two per batch');
    assert.equal(await count(), 2, 'the recent events stay');
  } finally {
    await t.close();
  }
});

test('AUDIT_RETENTION: a duration of at least a day, or 0 / off', () => {
  assert.equal(loadConfig({ AUDIT_RETENTION: '30d' }).sweeper.auditRetentionMs, 30 * 86_400_000);
  assert.equal(loadConfig({ AUDIT_RETENTION: '0' }).sweeper.auditRetentionMs, 0);
  assert.equal(loadConfig({ AUDIT_RETENTION: 'off' }).sweeper.auditRetentionMs, 0);
  assert.throws(() => loadConfig({ AUDIT_RETENTION: '1h' }), /AUDIT_RETENTION/);
  assert.throws(() => loadConfig({ AUDIT_RETENTION: 'forever' }), /AUDIT_RETENTION/);
});
