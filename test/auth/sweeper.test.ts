import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepOnce } from '../../src/maintenance/sweeper.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail } from '../support/app.js';

test('the sweeper deletes expired sessions, refresh tokens and email tokens in batches, and nothing live', async () => {
  const t = await startTestApp();
  try {
    for (let i = 0; i < 5; i++) {
      await t.post('/v2/auth/register', { email: uniqueEmail('sweep'), password: STRONG_PASSWORD });
    }
    const live = await t.post('/v2/auth/register', { email: uniqueEmail('live'), password: STRONG_PASSWORD });
    const liveUser = (live.body.user as { id: string }).id;
    // Age everything but the live user's rows past expiry plus the one-day retention.
    for (const table of ['sessions', 'refresh_tokens', 'email_tokens']) {
      const owner =
        table === 'refresh_tokens'
          ? `session_id IN (SELECT id FROM sessions WHERE user_id <> $1)`
          : `user_id <> $1`;
      await t.db.query(`UPDATE ${table} SET expires_at = now() - interval '2 days' WHERE ${owner}`, [
        liveUser,
      ]);
    }
    const count = async (table: string) =>
      (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    assert.equal(await count('sessions'), 6);

    const { deleted } = await sweepOnce(t.db, 2);
    assert.deepEqual(deleted, {
      refresh_tokens: 5,
      email_tokens: 5,
      authorization_codes: 0,
      sessions: 5,
      client_assertion_jtis: 0,
      audit_events: 0,
    });
    assert.equal(await count('sessions'), 1);
    assert.equal(await count('refresh_tokens'), 1);
    assert.equal(await count('email_tokens'), 1);
    assert.equal((await t.post('/v2/auth/refresh', { refresh_token: live.body.refresh_token })).status, 200);
  } finally {
    await t.close();
  }
});
