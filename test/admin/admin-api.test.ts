// The admin API: admin-token authentication (missing, malformed, unknown and revoked tokens are 401
// invalid_token with WWW-Authenticate: Bearer, before any body validation), and clients created, listed,
// read and rotated through it, each change audited with the admin who made it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken, newOpaqueToken } from '../../src/crypto/tokens.js';
import { startTestApp, type TestApp } from '../support/app.js';

const body = { name: 'Admin-made', type: 'confidential', redirect_uris: ['https://app.example.com/cb'] };

describe('admin API', () => {
  let t: TestApp;
  let token: string;
  let tokenId: string;
  let adminId: string;
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

  before(async () => {
    t = await startTestApp();
    const created = await t.app.services.admins.create('Root@Example.com');
    token = created.token;
    tokenId = created.tokenId;
    adminId = created.adminId;
  });
  after(() => t.close());

  const assertUnauthorized = (res: Awaited<ReturnType<TestApp['get']>>, what: string) => {
    assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'invalid_token', what);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b/, what);
    assert.equal(res.body.request_id, res.headers.get('x-request-id'));
  };

  test('requests without a valid admin token get 401 invalid_token, whatever the route or body', async () => {
    const cases: [string, Record<string, string>][] = [
      ['no Authorization header', {}],
      ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
      ['Bearer without a token', { authorization: 'Bearer ' }],
      ['an unknown well-formed token', bearer(newOpaqueToken())],
      ['a malformed token', bearer('not-a-token')],
      [
        'the token with one character changed',
        bearer(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
      ],
      ['the hash of the token instead of the token', bearer(hashToken(token).toString('base64url'))],
    ];
    for (const [what, headers] of cases) {
      assertUnauthorized(await t.get('/v2/admin/me', headers), `GET /me, ${what}`);
      assertUnauthorized(await t.get('/v2/admin/tenants/default/clients', headers), `list, ${what}`);
      // An invalid body is not even looked at: 401, not 400.
      assertUnauthorized(
        await t.post('/v2/admin/tenants/default/clients', { name: 1 }, headers),
        `create with a bad body, ${what}`,
      );
      assertUnauthorized(
        await t.post('/v2/admin/tenants/nope/clients/x/rotate-secret', undefined, headers),
        `rotate, ${what}`,
      );
    }
    assert.equal(
      Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM clients')).rows[0]!.n),
      0,
    );
  });

  test('GET /v2/admin/me names the admin and records the use of the token', async () => {
    const me = await t.get('/v2/admin/me', bearer(token));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual(me.body, {
      admin_id: adminId,
      email: 'root@example.com',
      token_id: tokenId,
      via: 'api_key',
      scope: 'admin',
      tenant: null,
    });
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const row = (await t.db.query('SELECT last_used_at FROM admin_tokens WHERE id = $1', [tokenId])).rows[0]!;
    assert.ok(row.last_used_at instanceof Date);
  });

  test('admin create reuses the admin of an email and adds a token; only hashes are stored', async () => {
    const again = await t.app.services.admins.create('root@example.com', { name: 'second' });
    assert.equal(again.adminId, adminId);
    assert.equal(again.created, false);
    assert.notEqual(again.token, token);
    const rows = (await t.db.query('SELECT token_hash FROM admin_tokens WHERE admin_id = $1', [adminId]))
      .rows;
    assert.equal(rows.length, 2);
    const hashes = rows.map((r) => Buffer.from(r.token_hash as Uint8Array).toString('hex')).sort();
    assert.deepEqual(hashes, [hashToken(token), hashToken(again.token)].map((h) => h.toString('hex')).sort());
    assert.equal((await t.get('/v2/admin/me', bearer(again.token))).status, 200);
    await assert.rejects(t.app.services.admins.create('not an email'), { code: 'invalid_request' });
  });

  test('a revoked token stops working at once; other tokens keep working', async () => {
    const spare = await t.app.services.admins.create('root@example.com', { name: 'spare' });
    assert.equal((await t.get('/v2/admin/me', bearer(spare.token))).status, 200);
    assert.equal(await t.app.services.admins.revoke(spare.tokenId), true);
    assert.equal(await t.app.services.admins.revoke(spare.tokenId), false, 'already revoked');
    assertUnauthorized(await t.get('/v2/admin/me', bearer(spare.token)), 'revoked token');
    assertUnauthorized(
      await t.post('/v2/admin/tenants/default/clients', body, bearer(spare.token)),
      'revoked token',
    );
    assert.equal((await t.get('/v2/admin/me', bearer(token))).status, 200);
  });

  test('create, list, get and rotate a client; each change is audited with the admin', async () => {
    const created = await t.post('/v2/admin/tenants/default/clients', body, bearer(token));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const clientId = created.body.client_id as string;
    const secret = created.body.client_secret as string;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(Object.keys(created.body).sort(), [
      'client_id',
      'client_secret',
      'created_at',
      'default_acr_values',
      'first_party',
      'grant_types',
      'id_token_signed_response_alg',
      'name',
      'post_logout_redirect_uris',
      'redirect_uris',
      'resource_server',
      'response_types',
      'scopes',
      'tenant',
      'token_endpoint_auth_method',
      'token_endpoint_auth_strict',
      'type',
    ]);

    const list = await t.get('/v2/admin/tenants/default/clients', bearer(token));
    assert.equal(list.status, 200);
    const listed = list.body.clients as Record<string, unknown>[];
    assert.deepEqual(
      listed.map((c) => c.client_id),
      [clientId],
    );
    assert.equal('client_secret' in listed[0]!, false, 'the secret is never listed');

    const one = await t.get(`/v2/admin/tenants/default/clients/${clientId}`, bearer(token));
    assert.equal(one.status, 200);
    const { client_secret: _secret, ...withoutSecret } = created.body;
    assert.deepEqual(one.body, withoutSecret);

    const rotated = await t.post(
      `/v2/admin/tenants/default/clients/${clientId}/rotate-secret`,
      undefined,
      bearer(token),
    );
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newSecret = rotated.body.client_secret as string;
    assert.match(newSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(newSecret, secret);
    const client = (await t.app.services.clients.get(
      await t.app.services.tenants.resolve('default'),
      clientId,
    ))!;
    assert.equal(await t.app.services.clients.verifySecret(client, newSecret), true);
    assert.equal(await t.app.services.clients.verifySecret(client, secret), false);

    const audit = (
      await t.db.query<{ type: string; data: Record<string, unknown>; user_agent: string | null }>(
        "SELECT type, data, user_agent FROM audit_events WHERE type LIKE 'client.%' ORDER BY id",
      )
    ).rows;
    assert.deepEqual(
      audit.map((a) => [a.type, a.data.client_id, a.data.admin_id, a.data.via]),
      [
        ['client.created', clientId, adminId, 'admin_api'],
        ['client.secret_rotated', clientId, adminId, 'admin_api'],
      ],
    );
    assert.equal(JSON.stringify(audit).includes(secret), false);
    assert.equal(JSON.stringify(audit).includes(newSecret), false);
  });

  test('name, redirect and post-logout URIs: changed by PATCH under the registration rules', async () => {
    const created = await t.post('/v2/admin/tenants/default/clients', body, bearer(token));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const path = `/v2/admin/tenants/default/clients/${created.body.client_id as string}`;
    const patch = (payload: unknown) =>
      fetch(`${t.base}${path}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...bearer(token) },
        body: JSON.stringify(payload),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const changed = await patch({
      name: ' Renamed ',
      redirect_uris: ['https://app.example.com/cb2', 'http://localhost:3000/cb'],
      post_logout_redirect_uris: ['https://app.example.com/bye'],
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.name, 'Renamed');
    assert.deepEqual(changed.body.redirect_uris, ['https://app.example.com/cb2', 'http://localhost:3000/cb']);
    assert.deepEqual(changed.body.post_logout_redirect_uris, ['https://app.example.com/bye']);
    for (const bad of [
      { name: '' },
      { redirect_uris: [] }, // the code grant needs one
      { redirect_uris: ['com.example.app:/cb'] }, // a custom scheme: public clients only
      { redirect_uris: ['http://app.example.com/cb'] },
      { post_logout_redirect_uris: ['javascript:alert(1)'] },
    ]) {
      const refused = await patch(bad);
      assert.equal(refused.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_client_metadata');
    }
    const kept = await t.get(path, bearer(token));
    assert.equal(kept.body.name, 'Renamed', 'a refused change changes nothing');
    assert.deepEqual((await patch({ post_logout_redirect_uris: [] })).body.post_logout_redirect_uris, []);
  });

  test('resource_server and token_endpoint_auth_strict: set at creation, changed by PATCH, audited', async () => {
    const created = await t.post(
      '/v2/admin/tenants/default/clients',
      { ...body, resource_server: true, token_endpoint_auth_strict: true },
      bearer(token),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.resource_server, true);
    assert.equal(created.body.token_endpoint_auth_strict, true);
    const clientId = created.body.client_id as string;
    const path = `/v2/admin/tenants/default/clients/${clientId}`;
    const patch = (payload: unknown, headers: Record<string, string> = bearer(token)) =>
      fetch(`${t.base}${path}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(payload),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

    const changed = await patch({ resource_server: false });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.resource_server, false);
    assert.equal(changed.body.token_endpoint_auth_strict, true, 'an absent setting keeps its value');
    const relaxed = await patch({ token_endpoint_auth_strict: false });
    assert.equal(relaxed.body.token_endpoint_auth_strict, false);
    const client = (await t.app.services.clients.get(
      await t.app.services.tenants.resolve('default'),
      clientId,
    ))!;
    assert.equal(client.resourceServer, false, 'the service sees the change at once');
    assert.equal(client.tokenEndpointAuthStrict, false);

    for (const bad of [{}, { resource_server: 'yes' }, { type: 'public' }]) {
      const refused = await patch(bad);
      assert.equal(refused.status, 400, `${JSON.stringify(bad)}: ${JSON.stringify(refused.body)}`);
    }
    assert.equal((await patch({ resource_server: true }, {})).status, 401);
    const missing = await fetch(`${t.base}/v2/admin/tenants/default/clients/no-such-client`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ resource_server: true }),
    });
    assert.equal(missing.status, 404);
    const audit = (
      await t.db.query<{ data: Record<string, unknown> }>(
        "SELECT data FROM audit_events WHERE type = 'client.updated' AND data->>'client_id' = $1 ORDER BY id",
        [clientId],
      )
    ).rows;
    assert.deepEqual(
      audit.map((a) => [a.data.client_id, a.data.resource_server, a.data.admin_id]),
      [
        [clientId, false, adminId],
        [clientId, undefined, adminId],
      ],
    );

    // default_acr_values: values of acr_values_supported only; an empty list clears them.
    const acr = await patch({ default_acr_values: ['urn:hellojohn:loa:2'] });
    assert.deepEqual(acr.body.default_acr_values, ['urn:hellojohn:loa:2']);
    assert.equal(acr.body.resource_server, false, 'the other settings keep their values');
    assert.equal((await patch({ default_acr_values: ['urn:unknown'] })).status, 400);
    assert.deepEqual((await patch({ default_acr_values: [] })).body.default_acr_values, []);
  });

  test('unknown tenants and clients are 404; a public client has no secret to rotate', async () => {
    const noTenant = await t.get('/v2/admin/tenants/no-such-tenant/clients', bearer(token));
    assert.equal(noTenant.status, 404);
    assert.equal(noTenant.body.error, 'not_found');
    const noTenantCreate = await t.post('/v2/admin/tenants/no-such-tenant/clients', body, bearer(token));
    assert.equal(noTenantCreate.status, 404);
    const noClient = await t.get('/v2/admin/tenants/default/clients/no-such-client', bearer(token));
    assert.equal(noClient.status, 404);
    const noRotate = await t.post(
      '/v2/admin/tenants/default/clients/no-such-client/rotate-secret',
      undefined,
      bearer(token),
    );
    assert.equal(noRotate.status, 404);
    const pub = await t.post(
      '/v2/admin/tenants/default/clients',
      { name: 'SPA', type: 'public', redirect_uris: ['https://spa.example.com/cb'] },
      bearer(token),
    );
    assert.equal(pub.status, 201);
    assert.equal('client_secret' in pub.body, false);
    const rotatePublic = await t.post(
      `/v2/admin/tenants/default/clients/${pub.body.client_id as string}/rotate-secret`,
      undefined,
      bearer(token),
    );
    assert.equal(rotatePublic.status, 400);
    assert.equal(rotatePublic.body.error, 'invalid_request');
    const weird = await t.get(`/v2/admin/tenants/default/clients/${'x'.repeat(300)}`, bearer(token));
    assert.ok(weird.status >= 400 && weird.status < 500, String(weird.status));
  });
});
