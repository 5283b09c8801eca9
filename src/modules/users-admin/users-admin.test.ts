// The admin API's users, over real HTTP on a real database: each route's success, 401 without a token,
// 400 for bad input (uuid, phone, cursor, unknown members), 404 across tenants; cursor pagination stable
// while users are added; deletion leaves no row of the user in any table (read from information_schema)
// and their tokens stop working; a phone number and address set here reach UserInfo (openid-client as the
// relying party); the export holds every module's data and no secret; every change audited with the admin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  exchange,
  startOidcApp,
  type OidcTestApp,
} from '../../../test/support/oidc.js';

type Json = Record<string, unknown>;

describe('admin API: users', () => {
  let t: OidcTestApp;
  let token: string;
  let adminId: string;
  const base = '/v2/admin/tenants/default/users';

  async function call(method: string, path: string, body?: unknown, auth: string | null = token) {
    const response = await fetch(`${t.base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
  }
  const create = async (extra: Json = {}, tenant = 'default') => {
    const res = await call('POST', `/v2/admin/tenants/${tenant}/users`, {
      email: uniqueEmail('adm'),
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as Json & { id: string; email: string };
  };
  const count = async (sql: string, params: unknown[]) =>
    Number((await t.db.query<{ n: string }>(sql, params)).rows[0]!.n);
  const lastEvent = async (userId: string, type: string) =>
    (
      await t.db.query<{ data: Json }>(
        'SELECT data FROM audit_events WHERE user_id = $1 AND type = $2 ORDER BY id DESC LIMIT 1',
        [userId, type],
      )
    ).rows[0]?.data;

  before(async () => {
    t = await startOidcApp();
    const created = await t.app.services.admins.create('ops@example.com');
    token = created.token;
    adminId = created.adminId;
    await t.createTenant('other');
  });
  after(() => t.close());

  test('every route refuses a request without an admin token (401), before validating anything', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const routes: [string, string, unknown?][] = [
      ['POST', base, { email: 1 }],
      ['GET', base],
      ['GET', `${base}/${id}`],
      ['PATCH', `${base}/${id}`, { nope: 1 }],
      ['DELETE', `${base}/${id}`],
      ['POST', `${base}/${id}/block`],
      ['POST', `${base}/${id}/unblock`],
      ['POST', `${base}/${id}/password`, { password: 'x' }],
      ['POST', `${base}/${id}/logout`],
      ['GET', `${base}/${id}/sessions`],
      ['DELETE', `${base}/${id}/sessions/${id}`],
      ['GET', `${base}/${id}/consents`],
      ['DELETE', `${base}/${id}/consents/app`],
      ['GET', `${base}/${id}/export`],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body, null);
      assert.equal(res.status, 401, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_token');
    }
  });

  test('create goes through registration: hooks in the same transaction, audited with the admin, no password', async () => {
    const unverified = await create({ password: STRONG_PASSWORD, name: 'Ada', given_name: 'Ada' });
    assert.equal(unverified.email_verified, false);
    assert.equal(unverified.has_password, true);
    assert.equal(unverified.given_name, 'Ada');
    // The email-verification module's userRegistered hook ran: a verification link exists for it.
    assert.equal(
      await count(`SELECT count(*) AS n FROM email_tokens WHERE user_id = $1 AND purpose = 'verify_email'`, [
        unverified.id,
      ]),
      1,
    );
    const verified = await create({ email_verified: true, app_metadata: { plan: 'pro' } });
    assert.equal(verified.email_verified, true);
    assert.equal(verified.has_password, false);
    assert.deepEqual(verified.app_metadata, { plan: 'pro' });
    assert.equal(await count('SELECT count(*) AS n FROM email_tokens WHERE user_id = $1', [verified.id]), 0);
    const event = await lastEvent(unverified.id, 'user.created');
    assert.deepEqual(event, { via: 'admin_api', admin_id: adminId, verified: false });
    const all = JSON.stringify((await t.db.query('SELECT data FROM audit_events')).rows);
    assert.ok(!all.includes(STRONG_PASSWORD), 'no password in the audit trail');

    const taken = await call('POST', base, { email: unverified.email.toUpperCase() });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, 'email_taken');
    const weak = await call('POST', base, { email: uniqueEmail(), password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error, 'weak_password');
    const unknown = await call('POST', base, { email: uniqueEmail(), phone: '+14155550123' });
    assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
    assert.equal(unknown.body.error, 'invalid_request');
    const badPhone = await call('POST', base, { email: uniqueEmail(), phone_number: '0612345678' });
    assert.equal(badPhone.status, 400, JSON.stringify(badPhone.body));
  });

  test('get and partial update: claims, metadata merge, email with re-verification or forced verified', async () => {
    const user = await create({ email_verified: true, app_metadata: { plan: 'free', team: 'a' } });
    const got = await call('GET', `${base}/${user.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.email, user.email);

    const patched = await call('PATCH', `${base}/${user.id}`, {
      name: 'Grace Hopper',
      family_name: 'Hopper',
      locale: 'en-US',
      zoneinfo: 'America/New_York',
      phone_number: '+14155550123',
      address: { locality: 'Arlington', country: 'US' },
      app_metadata: { plan: 'pro', team: null },
      user_metadata: { theme: 'dark' },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.name, 'Grace Hopper');
    assert.equal(patched.body.phone_number, '+14155550123');
    assert.equal(patched.body.phone_number_verified, false);
    assert.deepEqual(patched.body.address, { locality: 'Arlington', country: 'US' });
    assert.deepEqual(patched.body.app_metadata, { plan: 'pro' });
    assert.deepEqual(patched.body.user_metadata, { theme: 'dark' });
    assert.equal(patched.body.email_verified, true, 'untouched');
    const event = await lastEvent(user.id, 'user.updated');
    assert.equal(event?.admin_id, adminId);
    assert.ok(!JSON.stringify(event).includes('4155550123'), 'field names, not values');

    const removed = await call('PATCH', `${base}/${user.id}`, { family_name: null });
    assert.equal(removed.body.family_name, undefined);

    // A new address: unverified, and a verification link goes to it.
    const newEmail = uniqueEmail('moved');
    const moved = await call('PATCH', `${base}/${user.id}`, { email: newEmail });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.email, newEmail);
    assert.equal(moved.body.email_verified, false);
    assert.equal(
      await count(`SELECT count(*) AS n FROM email_tokens WHERE user_id = $1 AND email = $2`, [
        user.id,
        newEmail,
      ]),
      1,
    );
    const forced = await call('PATCH', `${base}/${user.id}`, {
      email: uniqueEmail('forced'),
      email_verified: true,
    });
    assert.equal(forced.body.email_verified, true);
    const other = await create();
    const clash = await call('PATCH', `${base}/${user.id}`, { email: other.email });
    assert.equal(clash.status, 409);

    for (const [what, body] of [
      ['bad phone', { phone_number: '+1415' }],
      ['national phone', { phone_number: '(415) 555-0123' }],
      ['unknown member', { phone: '+14155550123' }],
      ['unknown address member', { address: { city: 'X' } }],
      ['bad zone', { zoneinfo: 'Mars/Olympus' }],
      ['bad birthdate', { birthdate: '12/01/1990' }],
      ['picture not a URL', { picture: 'javascript:alert(1)' }],
    ] as const) {
      const res = await call('PATCH', `${base}/${user.id}`, body);
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request', what);
    }
    assert.equal((await call('GET', `${base}/not-a-uuid`)).status, 400);
    assert.equal((await call('PATCH', `${base}/not-a-uuid`, { name: 'x' })).status, 400);
  });

  test('a user of one tenant addressed under another is 404, on every route', async () => {
    const user = await create({}, 'other');
    const elsewhere = `${base}/${user.id}`;
    const routes: [string, string, unknown?][] = [
      ['GET', elsewhere],
      ['PATCH', elsewhere, { name: 'x' }],
      ['POST', `${elsewhere}/block`],
      ['POST', `${elsewhere}/unblock`],
      ['POST', `${elsewhere}/password`, { password: STRONG_PASSWORD }],
      ['POST', `${elsewhere}/logout`],
      ['GET', `${elsewhere}/sessions`],
      ['GET', `${elsewhere}/consents`],
      ['GET', `${elsewhere}/export`],
      ['DELETE', elsewhere],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'not_found');
    }
    assert.equal((await call('GET', `/v2/admin/tenants/other/users/${user.id}`)).status, 200, 'still there');
  });

  test('list: filters, limits, and a bad cursor is a 400', async () => {
    await t.createTenant('listing');
    const lb = '/v2/admin/tenants/listing/users';
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call('POST', lb, { email: `Zed${i}@filter.example`, email_verified: i % 2 === 0 });
      made.push(res.body.id as string);
    }
    await call('POST', lb, { email: 'other@filter.example' });
    await call('POST', `${lb}/${made[1]}/block`);
    const ids = async (query: string) => {
      const res = await call('GET', `${lb}?${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return (res.body.users as Json[]).map((u) => u.id);
    };
    assert.deepEqual(await ids('email=zED'), [...made].reverse(), 'prefix, case-insensitive, newest first');
    assert.deepEqual(await ids('email=zed&blocked=true'), [made[1]]);
    assert.deepEqual(await ids('email=zed&verified=true'), [made[4], made[2], made[0]]);
    assert.deepEqual(await ids('email=z%25'), [], 'a % in the prefix is a character, not a wildcard');
    assert.deepEqual(
      await ids(`created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
      [],
    );
    assert.equal(
      (await ids(`created_before=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).length,
      6,
    );
    const first = await call('GET', `${lb}?limit=2`);
    assert.equal((first.body.users as Json[]).length, 2);
    assert.equal(typeof first.body.next_cursor, 'string');
    for (const query of [
      'cursor=garbage',
      `cursor=${Buffer.from('2020-01-01T00:00:00.000000Z|x').toString('base64url')}`,
      `cursor=${Buffer.from("2020-01-01'; DROP TABLE users;--").toString('base64url')}`,
      'limit=0',
      'limit=201',
      'limit=ten',
      'blocked=yes',
      'created_after=yesterday',
      'sort=email',
    ]) {
      const res = await call('GET', `${lb}?${query}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request');
    }
  });

  test('cursor pagination sees every pre-existing user exactly once while users are added', async () => {
    await t.createTenant('paging');
    const tenant = await t.app.services.tenants.resolve('paging');
    // 150 users, in runs sharing one created_at (ties broken by id), spread over the past hour.
    const existing = (
      await t.db.query<{ id: string }>(
        `INSERT INTO users (tenant_id, email, email_normalized, created_at)
         SELECT $1, 'p' || g || '@paging.example', 'p' || g || '@paging.example',
                now() - interval '1 hour' + (g / 10) * interval '1 minute'
           FROM generate_series(1, 150) g RETURNING id`,
        [tenant.id],
      )
    ).rows.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res = await call(
        'GET',
        `/v2/admin/tenants/paging/users?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      seen.push(...(res.body.users as Json[]).map((u) => u.id as string));
      cursor = res.body.next_cursor as string | null;
      // Users added while paging: newer ones (ahead of the cursor), and ones inside the range already walked
      // and still to walk (an OFFSET would shift and repeat or skip).
      await t.db.query(
        `INSERT INTO users (tenant_id, email, email_normalized, created_at)
         SELECT $1, e, e, now() - interval '1 hour' + random() * interval '1 hour'
           FROM (SELECT 'new' || $2 || '-' || g || '@paging.example' AS e FROM generate_series(1, 3) g) s`,
        [tenant.id, page],
      );
      await call('POST', '/v2/admin/tenants/paging/users', { email: `api${page}@paging.example` });
      page++;
    } while (cursor);
    const pre = new Set(existing);
    const seenPre = seen.filter((id) => pre.has(id));
    assert.equal(seenPre.length, existing.length, 'every pre-existing user seen');
    assert.equal(new Set(seenPre).size, existing.length, 'none twice');
    assert.equal(new Set(seen).size, seen.length, 'no user twice at all');
  });

  test('block ends every session and refuses sign-in; unblock lets the user in again', async () => {
    const user = await t.createUser();
    const id = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]))
      .rows[0]!.id;
    const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const access = login.body.access_token as string;
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${access}` })).status, 200);
    const blocked = await call('POST', `${base}/${id}/block`);
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.blocked, true);
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${access}` })).status, 401);
    const refused = await t.post('/v2/auth/refresh', { refresh_token: login.body.refresh_token });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      403,
    );
    assert.equal(
      await count('SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [id]),
      0,
    );
    assert.equal((await lastEvent(id, 'user.blocked'))?.admin_id, adminId);
    const unblocked = await call('POST', `${base}/${id}/unblock`);
    assert.equal(unblocked.body.blocked, false);
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      200,
    );
  });

  test('set password (policy-checked, never audited), sessions list/revoke, sign out everywhere', async () => {
    const user = await t.createUser();
    const id = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]))
      .rows[0]!.id;
    const a = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const sessions = await call('GET', `${base}/${id}/sessions`);
    assert.equal(sessions.status, 200);
    const list = sessions.body.sessions as Json[];
    assert.ok(list.length >= 2, JSON.stringify(list));
    const sid = list[0]!.id as string;
    assert.equal((await call('DELETE', `${base}/${id}/sessions/${sid}`)).status, 204);
    assert.equal((await call('DELETE', `${base}/${id}/sessions/${sid}`)).status, 404, 'already ended');
    assert.equal((await call('DELETE', `${base}/${id}/sessions/nope`)).status, 400);

    const weak = await call('POST', `${base}/${id}/password`, { password: 'password' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error, 'weak_password');
    const NEW = 'Another-Long-Passphrase-99';
    const set = await call('POST', `${base}/${id}/password`, { password: NEW, sign_out: true });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.ok((set.body.sessions_revoked as number) >= 1);
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${a.body.access_token as string}` })).status,
      401,
    );
    assert.equal((await t.post('/v2/auth/login', { email: user.email, password: NEW })).status, 200);
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      401,
    );
    const trail = JSON.stringify(
      (await t.db.query('SELECT data FROM audit_events WHERE user_id = $1', [id])).rows,
    );
    assert.ok(!trail.includes(NEW), 'the password is not in the audit trail');
    assert.equal((await lastEvent(id, 'user.password_set'))?.admin_id, adminId);

    const out = await call('POST', `${base}/${id}/logout`);
    assert.equal(out.status, 200);
    assert.equal(out.body.sessions_revoked, 1);
    assert.equal((await call('GET', `${base}/${id}/sessions`)).body.sessions instanceof Array, true);
    assert.deepEqual((await call('GET', `${base}/${id}/sessions`)).body.sessions, []);
    assert.equal((await lastEvent(id, 'user.logout_all'))?.admin_id, adminId);
  });

  /** A user signed in through a real authorization (consent, refresh token) with `scope`. */
  async function oidcUser(scope: string) {
    const c = await t.createClient({
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: scope.split(' '),
    });
    const config = await t.rp(c);
    const user = await t.createUser();
    const id = (await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [user.email]))
      .rows[0]!.id;
    const signIn = async () => {
      const req = await authRequest(config, c, { scope });
      const landing = await authorize(new HttpAgent(), req.url, user, { consent: 'allow' });
      return exchange(config, req, callbackOf(landing, req.redirectUri));
    };
    return { c, config, user, id, signIn };
  }

  test('a phone number and address set here reach UserInfo and the ID token (openid-client)', async () => {
    const { config, id, signIn } = await oidcUser('openid phone address profile');
    const patched = await call('PATCH', `${base}/${id}`, {
      phone_number: '+14155550123',
      phone_number_verified: true,
      address: { street_address: '1 Main St', locality: 'Springfield', country: 'US' },
      given_name: 'Homer',
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const tokens = await signIn();
    const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    assert.equal(info.phone_number, '+14155550123');
    assert.equal(info.phone_number_verified, true);
    assert.deepEqual(info.address, { street_address: '1 Main St', locality: 'Springfield', country: 'US' });
    assert.equal(info.given_name, 'Homer');
  });

  test('delete removes every row of the user, table by table, and their tokens stop working', async () => {
    const { config, user, id, signIn } = await oidcUser('openid offline_access');
    const tokens = await signIn();
    const api = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    await t.db.query(
      `INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash) SELECT tenant_id, id, '\\x01' FROM users WHERE id = $1`,
      [id],
    );
    // Every table with a user_id column, from the catalogue (modules' tables included).
    const tables = (
      await t.db.query<{ table_name: string }>(
        `SELECT DISTINCT table_name FROM information_schema.columns
          WHERE column_name = 'user_id' AND table_schema = current_schema() ORDER BY table_name`,
      )
    ).rows.map((r) => r.table_name);
    for (const expected of [
      'sessions',
      'consents',
      'email_tokens',
      'mfa_recovery_codes',
      'passkeys',
      'audit_events',
    ])
      assert.ok(tables.includes(expected), `${expected} in ${tables.join(', ')}`);
    const rowsOf = async (table: string) =>
      count(`SELECT count(*) AS n FROM "${table}" WHERE user_id = $1`, [id]);
    const sessionIds = (
      await t.db.query<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1', [id])
    ).rows.map((r) => r.id);
    const refreshRows = () =>
      count('SELECT count(*) AS n FROM refresh_tokens WHERE session_id = ANY($1::uuid[])', [sessionIds]);
    assert.ok((await rowsOf('sessions')) > 0 && (await rowsOf('consents')) > 0 && (await refreshRows()) > 0);
    assert.ok(await client.fetchUserInfo(config, tokens.access_token, id));
    // Both tokens in use (and in the session caches) before the deletion.
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${api.body.access_token as string}` })).status,
      200,
    );

    const deleted = await call('DELETE', `${base}/${id}`);
    assert.equal(deleted.status, 204);
    for (const table of tables) {
      if (table === 'audit_events') continue;
      assert.equal(await rowsOf(table), 0, `no row of the user left in ${table}`);
    }
    assert.equal(await refreshRows(), 0, 'no refresh token left');
    assert.equal(await count('SELECT count(*) AS n FROM users WHERE id = $1', [id]), 0);
    assert.equal(
      (await lastEvent(id, 'user.deleted'))?.admin_id,
      adminId,
      'the trail stays, with the deletion',
    );

    const userinfo = await fetch(`${t.issuer()}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(userinfo.status, 401);
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${api.body.access_token as string}` })).status,
      401,
    );
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!));
    const refused = await t.post('/v2/auth/refresh', { refresh_token: api.body.refresh_token });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.equal((await call('DELETE', `${base}/${id}`)).status, 404);
  });

  test("consents: listed and withdrawn (the client's sessions end too)", async () => {
    const { c, config, id, signIn } = await oidcUser('openid offline_access');
    const tokens = await signIn();
    const consents = await call('GET', `${base}/${id}/consents`);
    assert.equal(consents.status, 200);
    assert.deepEqual(
      (consents.body.consents as Json[]).map((x) => x.client_id),
      [c.clientId],
    );
    assert.equal((await call('DELETE', `${base}/${id}/consents/${c.clientId}`)).status, 204);
    assert.equal((await call('DELETE', `${base}/${id}/consents/${c.clientId}`)).status, 404);
    assert.equal((await call('DELETE', `${base}/${id}/consents/bad%20id`)).status, 400);
    assert.deepEqual((await call('GET', `${base}/${id}/consents`)).body.consents, []);
    await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!));
  });

  test("export: the account, sessions, consents and every module's data, without a secret", async () => {
    const { id, signIn } = await oidcUser('openid');
    await signIn();
    await call('PATCH', `${base}/${id}`, { phone_number: '+14155550123', app_metadata: { plan: 'pro' } });
    const tenantId = (await t.app.services.tenants.resolve('default')).id;
    const seal = Buffer.from('SEALED-TOTP-SEED-0123456789');
    const hash = Buffer.from('RECOVERY-CODE-HASH-abcdef');
    const key = Buffer.from('PASSKEY-PUBLIC-KEY-xyz');
    await t.db.query(
      `INSERT INTO mfa_totp (tenant_id, user_id, secret_sealed, digits, period, confirmed_at) VALUES ($1, $2, $3, 6, 30, now())`,
      [tenantId, id, seal],
    );
    await t.db.query('INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash) VALUES ($1, $2, $3)', [
      tenantId,
      id,
      hash,
    ]);
    await t.db.query(
      `INSERT INTO passkeys (tenant_id, user_id, credential_id, public_key, backup_eligible, backed_up, aaguid, name)
       VALUES ($1, $2, 'cred-1', $3, true, true, '00000000-0000-0000-0000-000000000000', 'My key')`,
      [tenantId, id, key],
    );
    await t.db.query(
      `INSERT INTO social_identities (tenant_id, user_id, provider, subject, email) VALUES ($1, $2, 'github', '42', 'gh@example.com')`,
      [tenantId, id],
    );
    const res = await call('GET', `${base}/${id}/export`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const data = res.body as Json & {
      user: Json;
      modules: Record<string, Json>;
      sessions: Json[];
      consents: Json[];
    };
    assert.equal(data.user.id, id);
    assert.equal(data.user.phone_number, '+14155550123');
    assert.deepEqual(data.user.app_metadata, { plan: 'pro' });
    assert.ok(data.sessions.length > 0);
    assert.equal(data.consents.length, 1);
    assert.equal((data.modules.mfa!.totp as Json[]).length, 1);
    assert.deepEqual(data.modules.mfa!.recovery_codes, { total: 1, unused: 1 });
    assert.equal((data.modules.passkeys!.passkeys as Json[])[0]!.name, 'My key');
    assert.equal((data.modules.social!.identities as Json[])[0]!.subject, '42');
    const text = JSON.stringify(res.body);
    for (const secret of [seal, hash, key])
      for (const form of [secret.toString('utf8'), secret.toString('hex'), secret.toString('base64')])
        assert.ok(!text.includes(form), `no secret in the export (${form})`);
    assert.doesNotMatch(
      text,
      /"[a-z_]*(hash|sealed|secret|public_key|(?<!has_)password)[a-z_]*"\s*:/i,
      'no secret member',
    );
    assert.equal((await lastEvent(id, 'user.exported'))?.admin_id, adminId);
  });
});
