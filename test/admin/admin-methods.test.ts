// The admin API's documented methods (/work/shared/spec/api.md): DELETE of a client takes everything
// issued to it along (its refresh tokens refused, its access tokens inactive at introspection and
// refused at UserInfo, its consents, codes and resource grants gone), on every instance at once; PUT
// changes a tenant, a client and a user (a partial update, PATCH its synonym).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { FAST_ARGON2, STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { REDIS_URL, unlessAvailable } from '../support/env.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  basic,
  callbackOf,
  exchange,
  introspect,
  oauthError,
  postForm,
  sleep,
  startOidcApp,
  tokenRequest,
  userinfo,
  type OidcTestApp,
} from '../support/oidc.js';

// Shared with the second instance built on the same database: it must unseal the same signing keys.
const SECRETS = {
  SECRETBOX_MASTER_KEY: randomBytes(32).toString('base64'),
  SIGNING_MASTER_KEY: randomBytes(32).toString('hex'),
};

describe('admin API methods', () => {
  let t: OidcTestApp;
  let root: string;
  let readOnly: string;
  let acme: string;
  let adminId: string;
  const key = (value: string) => ({ authorization: `Bearer ${value}` });

  const call = async (method: string, path: string, as: string | null, body?: unknown) => {
    const response = await fetch(`${t.base}${path}`, {
      method,
      headers: {
        ...(as ? key(as) : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const count = async (sql: string, params: unknown[]) =>
    Number((await t.db.query<{ n: string }>(sql, params)).rows[0]!.n);

  before(async () => {
    t = await startOidcApp({ ...SECRETS, ...(REDIS_URL ? { REDIS_URL } : {}) });
    await t.createTenant('acme');
    const created = await t.app.services.admins.create('root@example.com');
    root = created.token;
    adminId = created.adminId;
    const newKey = async (body: Record<string, unknown>) => {
      const res = await t.post('/v2/admin/api-keys', body, key(root));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.key as string;
    };
    readOnly = await newKey({ scope: 'read_only' });
    acme = await newKey({ scope: 'tenant', tenant: 'acme' });
  });
  after(() => t.close());

  test('DELETE a client: 204, and everything issued to it stops working and is gone', async () => {
    const c = await t.createClient({
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    const api = await t.createClient({ resourceServer: true, grantTypes: ['client_credentials'] });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const req = await authRequest(config, c, { scope: 'openid profile' });
    const tokens = await exchange(
      config,
      req,
      callbackOf(await authorize(agent, req.url, user, { consent: 'allow' }), req.redirectUri),
    );
    const refreshToken = tokens.refresh_token!;
    // A code issued but not yet exchanged, and a grant on an API resource.
    const pending = await authRequest(config, c, { scope: 'openid profile' });
    const code = callbackOf(await authorize(agent, pending.url, null), pending.redirectUri);
    const resource = await call('POST', '/v2/admin/tenants/default/resources', root, {
      identifier: 'https://api.example.com/orders',
      name: 'Orders',
      permissions: ['read'],
    });
    assert.equal(resource.status, 201, resource.text);
    const grant = await call(
      'PUT',
      `/v2/admin/tenants/default/resources/${String(resource.body.id)}/clients/${c.clientId}`,
      root,
      { permissions: ['read'] },
    );
    assert.equal(grant.status, 200, grant.text);
    assert.equal((await userinfo(c.issuer, tokens.access_token)).status, 200);
    assert.equal((await introspect(api, tokens.access_token)).body.active, true);
    const tenantId = (await t.app.services.tenants.resolve('default')).id;
    const issued = async () => ({
      clients: await count('SELECT count(*) AS n FROM clients WHERE client_id = $1', [c.clientId]),
      sessions: await count('SELECT count(*) AS n FROM sessions WHERE tenant_id = $1 AND client_id = $2', [
        tenantId,
        c.clientId,
      ]),
      refresh_tokens: await count(
        'SELECT count(*) AS n FROM refresh_tokens WHERE tenant_id = $1 AND client_id = $2',
        [tenantId, c.clientId],
      ),
      consents: await count('SELECT count(*) AS n FROM consents WHERE tenant_id = $1 AND client_id = $2', [
        tenantId,
        c.clientId,
      ]),
      resource_grants: await count('SELECT count(*) AS n FROM rbac_resource_clients WHERE client_id = $1', [
        c.clientId,
      ]),
    });
    const before = await issued();
    for (const [what, n] of Object.entries(before)) assert.ok(n > 0, `${what} before: ${n}`);

    const deleted = await call('DELETE', `/v2/admin/tenants/default/clients/${c.clientId}`, root);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');

    assert.deepEqual(await issued(), {
      clients: 0,
      sessions: 0,
      refresh_tokens: 0,
      consents: 0,
      resource_grants: 0,
    });
    // The relying party's refresh is refused: the client is unknown now.
    assert.equal((await oauthError(client.refreshTokenGrant(config, refreshToken))).error, 'invalid_client');
    const redeemed = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code: code.searchParams.get('code')!,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.verifier,
    });
    assert.equal(redeemed.status, 401, redeemed.text);
    assert.equal((await tokenRequest(c, { grant_type: 'client_credentials' })).status, 401);
    // Its tokens, as a resource server and UserInfo see them.
    for (const token of [tokens.access_token, refreshToken])
      assert.deepEqual((await introspect(api, token)).body, { active: false });
    assert.equal((await userinfo(c.issuer, tokens.access_token)).status, 401);
    assert.equal((await call('GET', `/v2/admin/tenants/default/clients/${c.clientId}`, root)).status, 404);
    assert.equal((await call('DELETE', `/v2/admin/tenants/default/clients/${c.clientId}`, root)).status, 404);

    const audit = (
      await t.db.query<{ data: Record<string, unknown> }>(
        "SELECT data FROM audit_events WHERE type = 'client.deleted' AND data->>'client_id' = $1",
        [c.clientId],
      )
    ).rows;
    assert.deepEqual(audit, [
      { data: { client_id: c.clientId, sessions_ended: 1, via: 'admin_api', admin_id: adminId } },
    ]);
  });

  test('DELETE a client is refused: 401 without a key, 403 to a read-only or other-tenant key, 404 unknown', async () => {
    const c = await t.createClient();
    const path = `/v2/admin/tenants/default/clients/${c.clientId}`;
    const refusals: [string | null, number, string][] = [
      [null, 401, 'invalid_token'],
      ['not-a-key', 401, 'invalid_token'],
      [readOnly, 403, 'access_denied'],
      [acme, 403, 'access_denied'],
    ];
    for (const [as, status, error] of refusals) {
      const res = await call('DELETE', path, as);
      assert.equal(res.status, status, `${String(as)}: ${res.text}`);
      assert.equal(res.body.error, error);
    }
    // The acme key may delete acme's clients, not reach the default tenant's through its own tenant.
    const viaAcme = await call('DELETE', `/v2/admin/tenants/acme/clients/${c.clientId}`, acme);
    assert.equal(viaAcme.status, 404, viaAcme.text);
    for (const unknown of ['no-such-client', 'bad%20id'])
      assert.equal((await call('DELETE', `/v2/admin/tenants/default/clients/${unknown}`, root)).status, 404);
    assert.equal((await call('DELETE', `/v2/admin/tenants/nope/clients/${c.clientId}`, root)).status, 404);
    assert.equal((await call('GET', path, root)).status, 200, 'the client is still there');
  });

  test(
    'a deleted client is refused at once by another instance that had it cached',
    { skip: unlessAvailable({ redis: true }) },
    async () => {
      const config = t.testDb.config({ ...FAST_ARGON2, ...SECRETS, BASE_URL: t.base, REDIS_URL: REDIS_URL! });
      const other = await buildApp(config, { db: t.db, logger: pino({ level: 'silent' }), sweeper: false });
      try {
        const base = await other.listen({ host: '127.0.0.1', port: 0 });
        for (let i = 0; i < 200 && !other.services.invalidation.reliable; i++) await sleep(25);
        assert.ok(other.services.invalidation.reliable, 'the second instance subscribed');
        const c = await t.createClient({ grantTypes: ['client_credentials'] });
        const token = () =>
          postForm(
            base,
            '/oauth2/token',
            { grant_type: 'client_credentials' },
            {
              authorization: basic(c.clientId, c.clientSecret!),
            },
          );
        assert.equal((await token()).status, 200, 'the other instance knows (and caches) the client');
        assert.equal(
          (await call('DELETE', `/v2/admin/tenants/default/clients/${c.clientId}`, root)).status,
          204,
        );
        // Its cache keeps a client 30 s: only the invalidation explains a refusal within 1 s.
        let refused = await token();
        for (let i = 0; i < 40 && refused.status === 200; i++) {
          await sleep(25);
          refused = await token();
        }
        assert.equal(refused.status, 401, refused.text);
        assert.equal(refused.body.error, 'invalid_client');
      } finally {
        await other.close();
      }
    },
  );

  test('PUT changes a tenant, a client and a user as PATCH does (a partial update)', async () => {
    const tenant = await call('PUT', '/v2/admin/tenants/acme', root, { name: 'Acme Inc.' });
    assert.equal(tenant.status, 200, tenant.text);
    assert.equal(tenant.body.name, 'Acme Inc.');
    assert.equal((await call('GET', '/v2/admin/tenants/acme', root)).body.name, 'Acme Inc.');

    const c = await t.createClient({ tenant: 'acme' });
    const path = `/v2/admin/tenants/acme/clients/${c.clientId}`;
    const changed = await call('PUT', path, acme, { resource_server: true });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.resource_server, true);
    assert.equal(changed.body.token_endpoint_auth_strict, false, 'absent members are kept');
    const patched = await call('PATCH', path, acme, { token_endpoint_auth_strict: true });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual([patched.body.resource_server, patched.body.token_endpoint_auth_strict], [true, true]);

    const made = await call('POST', '/v2/admin/tenants/acme/users', root, {
      email: uniqueEmail('put'),
      password: STRONG_PASSWORD,
      name: 'Before',
    });
    assert.equal(made.status, 201, made.text);
    const user = await call('PUT', `/v2/admin/tenants/acme/users/${String(made.body.id)}`, root, {
      name: 'After',
    });
    assert.equal(user.status, 200, user.text);
    assert.deepEqual([user.body.name, user.body.email], ['After', made.body.email]);

    // PUT writes: a read-only key may not; a bad body is 400 before anything changes.
    for (const [target, body] of [
      ['/v2/admin/tenants/acme', { name: 'No' }],
      [path, { resource_server: false }],
      [`/v2/admin/tenants/acme/users/${String(made.body.id)}`, { name: 'No' }],
    ] as const) {
      const denied = await call('PUT', target, readOnly, body);
      assert.equal(denied.status, 403, `${target}: ${denied.text}`);
      assert.equal((await call('PUT', target, root, { nope: 1 })).status, 400, target);
    }
  });
});
