// TRUST_PROXY through real HTTP: which address the server takes for the client, as recorded in
// audit_events.ip and as counted by the per-IP rate limit. The test server is reached from 127.0.0.1, so
// the socket address (the "proxy" when one is trusted) is always 127.0.0.1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

/** The address the server recorded for a registration sent with these X-Forwarded-For entries. */
async function seenAs(t: TestApp, forwardedFor: string): Promise<string | null> {
  const registered = await t.post(
    '/v2/auth/register',
    { email: uniqueEmail('xff'), password: STRONG_PASSWORD },
    { 'x-forwarded-for': forwardedFor },
  );
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const userId = (registered.body.user as { id: string }).id;
  const rows = await t.db.query<{ ip: string | null }>(
    `SELECT ip FROM audit_events WHERE user_id = $1 AND type = 'user.registered'`,
    [userId],
  );
  assert.equal(rows.rows.length, 1);
  return rows.rows[0]!.ip;
}

let forged = 0;
/** A left-most X-Forwarded-For entry the client made up: a different one on every request. */
const spoofed = () => `6.6.6.${++forged}`;

/** Statuses of /v2/auth/forgot (limited per IP) sent with each X-Forwarded-For value in turn. */
async function forgotStatuses(t: TestApp, forwardedFor: readonly string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const value of forwardedFor) {
    statuses.push(
      (await t.post('/v2/auth/forgot', { email: uniqueEmail() }, { 'x-forwarded-for': value })).status,
    );
  }
  return statuses;
}

describe('TRUST_PROXY', () => {
  test('unset: X-Forwarded-For is ignored, the client is the socket address', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_IP: '3' });
    try {
      assert.equal(await seenAs(t, '6.6.6.6, 203.0.113.9'), '127.0.0.1');
      const statuses = await forgotStatuses(t, ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
      assert.notEqual(statuses[2], 429, `the first 3 pass: ${statuses.join(',')}`);
      assert.equal(statuses[3], 429, `a made-up header does not escape the limit: ${statuses.join(',')}`);
    } finally {
      await t.close();
    }
  });

  test('true: only the proxy in front is trusted, the client is the right-most entry', async () => {
    const t = await startTestApp({ TRUST_PROXY: 'true', RATE_LIMIT_PER_IP: '3' });
    try {
      assert.equal(await seenAs(t, '6.6.6.6, 203.0.113.9'), '203.0.113.9');
      assert.equal(await seenAs(t, '198.51.100.7'), '198.51.100.7');

      // A client behind an appending proxy controls everything left of the proxy's own entry:
      // changing it on every request must not reset its count.
      const statuses = await forgotStatuses(
        t,
        Array.from({ length: 4 }, () => `${spoofed()}, 203.0.113.9`),
      );
      assert.notEqual(statuses[2], 429, `the first 3 pass: ${statuses.join(',')}`);
      assert.equal(statuses[3], 429, `a spoofed left-most entry does not escape: ${statuses.join(',')}`);
      // Another client behind the same proxy has its own count.
      const [other] = await forgotStatuses(t, ['6.6.6.6, 203.0.113.10']);
      assert.notEqual(other, 429);
    } finally {
      await t.close();
    }
  });

  test('a number N trusts the N nearest proxies', async () => {
    const t = await startTestApp({ TRUST_PROXY: '2' });
    try {
      assert.equal(await seenAs(t, '6.6.6.6, 198.51.100.7, 203.0.113.9'), '198.51.100.7');
      assert.equal(await seenAs(t, '203.0.113.9'), '203.0.113.9', 'fewer entries than hops');
    } finally {
      await t.close();
    }
  });

  test('a list of addresses and CIDR ranges trusts exactly those proxies', async () => {
    const t = await startTestApp({ TRUST_PROXY: '127.0.0.1, 203.0.113.0/24, ::1' });
    try {
      assert.equal(await seenAs(t, '6.6.6.6, 198.51.100.7, 203.0.113.9'), '198.51.100.7');
      assert.equal(await seenAs(t, '6.6.6.6, 203.0.113.9, 198.51.100.7'), '198.51.100.7');
    } finally {
      await t.close();
    }
    const untrusted = await startTestApp({ TRUST_PROXY: '10.0.0.0/8' });
    try {
      assert.equal(
        await seenAs(untrusted, '6.6.6.6, 203.0.113.9'),
        '127.0.0.1',
        'headers from a peer outside the list are ignored',
      );
    } finally {
      await untrusted.close();
    }
  });
});
