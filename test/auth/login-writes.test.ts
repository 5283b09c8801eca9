// What a sign-in writes, and the last sign-in it leaves behind. A password login writes three rows (the
// session, its refresh token, the audit event; a browser login two) and no users row: the last sign-in is
// read from the user's newest sign-in session (migration 0024). It must still be answered the same
// everywhere it is shown (GET /v2/me, the browser login's user, the admin API's user get and list, the
// export), never count a code exchange's OAuth session, and survive the sign-in sessions being deleted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sweepOnce } from '../../src/maintenance/sweeper.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

type Json = Record<string, unknown>;

describe('sign-in writes and the last sign-in', () => {
  let t: TestApp;
  let admin: string;

  before(async () => {
    t = await startTestApp();
    admin = (await t.app.services.admins.create(`ops.${process.pid}@example.com`)).token;
  });
  after(() => t.close());

  /** Rows inserted or updated (new row versions) by the transactions `call` runs, per table. */
  async function rowsWritten(call: () => Promise<unknown>): Promise<Record<string, number>> {
    const tables = await t.db.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`,
    );
    // Every row version a later transaction writes carries a larger xmin (a fresh database is far from
    // wraparound); the statement that reads the start is itself one such transaction, excluded by `>`.
    const start = await t.db.query<{ xid: string }>(`SELECT (txid_current() % 4294967296)::text AS xid`);
    const xid = start.rows[0]!.xid;
    await call();
    const written: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const r = await t.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${name}" WHERE xmin::text::bigint > $1::bigint`,
        [xid],
      );
      const n = Number(r.rows[0]!.n);
      if (n > 0) written[name] = n;
    }
    return written;
  }

  async function adminGet(path: string): Promise<Json> {
    const response = await fetch(`${t.base}/v2/admin/tenants/default${path}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(response.status, 200, path);
    return (await response.json()) as Json;
  }

  /** last_login_at as each place that shows it answers it. */
  async function shown(userId: string, email: string, accessToken: string) {
    const me = await t.get('/v2/me', { authorization: `Bearer ${accessToken}` });
    assert.equal(me.status, 200);
    const listed = (await adminGet(`/users?email=${encodeURIComponent(email)}`)).users as Json[];
    assert.equal(listed.length, 1);
    const exported = await adminGet(`/users/${userId}/export`);
    return {
      me: (me.body.user as Json | undefined)?.last_login_at ?? me.body.last_login_at,
      get: (await adminGet(`/users/${userId}`)).last_login_at,
      list: listed[0]!.last_login_at,
      export: (exported.user as Json).last_login_at,
    };
  }

  const newestSignIn = async (userId: string) =>
    (
      await t.db.query<{ at: Date }>(
        `SELECT max(created_at) AS at FROM sessions WHERE user_id = $1 AND client_id IS NULL`,
        [userId],
      )
    ).rows[0]!.at.toISOString();

  test('a password login writes 3 rows (session, refresh token, audit event), a browser login 2; no users row', async () => {
    const email = uniqueEmail('writes');
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
    const api = await rowsWritten(async () => {
      const r = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    assert.deepEqual(api, { audit_events: 1, refresh_tokens: 1, sessions: 1 });
    const browser = await rowsWritten(async () => {
      const r = await t.post('/v2/session/login', { email, password: STRONG_PASSWORD });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    assert.deepEqual(browser, { audit_events: 1, sessions: 1 });
  });

  test('the last sign-in: the same everywhere, moved by each login, not by an OAuth session, kept when sessions are deleted', async () => {
    const email = uniqueEmail('last');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201);
    const user = registered.body.user as { id: string; last_login_at: string | null };
    // The registration answers the account as it was before its auto-login.
    assert.equal(user.last_login_at, null);
    const token = String(registered.body.access_token);
    const first = await newestSignIn(user.id);
    assert.deepEqual(await shown(user.id, email, token), {
      me: first,
      get: first,
      list: first,
      export: first,
    });

    // A browser login answers the previous sign-in, then is the last one itself.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const browser = await t.post('/v2/session/login', { email, password: STRONG_PASSWORD });
    assert.equal(browser.status, 200);
    assert.equal((browser.body.user as Json).last_login_at, first);
    const second = await newestSignIn(user.id);
    assert.ok(second > first);
    assert.deepEqual(await shown(user.id, email, token), {
      me: second,
      get: second,
      list: second,
      export: second,
    });

    // A code exchange's OAuth session (client_id set) is not a sign-in, however new.
    await t.db.query(
      `INSERT INTO sessions (tenant_id, user_id, kind, client_id, created_at, idle_expires_at, expires_at)
       SELECT tenant_id, user_id, 'api', 'some-client', now() + interval '1 hour', expires_at, expires_at
         FROM sessions WHERE user_id = $1 LIMIT 1`,
      [user.id],
    );
    assert.equal((await adminGet(`/users/${user.id}`)).last_login_at, second);

    // The sweeper deletes the sign-in sessions long expired: the last sign-in stays where it was.
    await t.db.query(
      `UPDATE sessions SET expires_at = now() - interval '2 days', idle_expires_at = now() - interval '2 days'
        WHERE user_id = $1`,
      [user.id],
    );
    await sweepOnce(t.db, 100);
    const left = await t.db.query(`SELECT 1 FROM sessions WHERE user_id = $1`, [user.id]);
    assert.equal(left.rows.length, 0, 'the sweeper deleted every session of the user');
    assert.equal((await adminGet(`/users/${user.id}`)).last_login_at, second);
    assert.equal(((await adminGet(`/users/${user.id}/export`)).user as Json).last_login_at, second);

    // A new login after that moves it on; deleting the user (its sessions go by cascade) still works.
    const again = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(again.status, 200);
    const third = await newestSignIn(user.id);
    assert.ok(third > second);
    assert.equal((await adminGet(`/users/${user.id}`)).last_login_at, third);
    const deleted = await fetch(`${t.base}/v2/admin/tenants/default/users/${user.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(deleted.status, 204);
  });
});
