// OAuth clients: every registration rule (through the admin API: a 4xx with the documented error JSON,
// never a 5xx, nothing written), the secret (shown once, stored as its SHA-256, checked in constant time,
// rotated), the per-instance cache, and tenant isolation.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Clients, clientJson, newClientId, type Client } from '../../src/clients/clients.js';
import { hashToken } from '../../src/crypto/tokens.js';
import { HelloJohnError } from '../../src/errors.js';
import type { Tenant } from '../../src/tenants/tenants.js';
import { startTestApp, type TestApp } from '../support/app.js';

const publicJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const privateJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const confidential = { name: 'Web app', type: 'confidential', redirect_uris: ['https://app.example.com/cb'] };
const publicClient = { name: 'SPA', type: 'public', redirect_uris: ['https://spa.example.com/cb'] };

/** Registrations that must be refused: [what, body, expected error code]. */
const BAD: [string, Record<string, unknown>, string][] = [
  ['empty name', { ...confidential, name: '' }, 'invalid_client_metadata'],
  ['blank name', { ...confidential, name: '   ' }, 'invalid_client_metadata'],
  ['name of 201 characters', { ...confidential, name: 'n'.repeat(201) }, 'invalid_client_metadata'],
  ['name with a control character', { ...confidential, name: 'a\u0007b' }, 'invalid_client_metadata'],
  ['unknown type', { ...confidential, type: 'trusted' }, 'invalid_client_metadata'],
  ['relative redirect URI', { ...confidential, redirect_uris: ['/cb'] }, 'invalid_client_metadata'],
  [
    'redirect URI without scheme',
    { ...confidential, redirect_uris: ['app.example.com/cb'] },
    'invalid_client_metadata',
  ],
  [
    'redirect URI with a fragment',
    { ...confidential, redirect_uris: ['https://a.example.com/cb#x'] },
    'invalid_client_metadata',
  ],
  [
    'redirect URI with an empty fragment',
    { ...confidential, redirect_uris: ['https://a.example.com/cb#'] },
    'invalid_client_metadata',
  ],
  [
    'redirect URI of 2001 characters',
    { ...confidential, redirect_uris: [`https://a.example.com/${'x'.repeat(2001 - 22)}`] },
    'invalid_client_metadata',
  ],
  [
    '21 redirect URIs',
    { ...confidential, redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example.com/${i}`) },
    'invalid_client_metadata',
  ],
  [
    'http redirect URI on a public host',
    { ...confidential, redirect_uris: ['http://app.example.com/cb'] },
    'invalid_client_metadata',
  ],
  [
    'http redirect URI on localhost.evil.com',
    { ...publicClient, redirect_uris: ['http://localhost.evil.com/cb'] },
    'invalid_client_metadata',
  ],
  [
    'custom scheme for a confidential client',
    { ...confidential, redirect_uris: ['com.example.app:/cb'] },
    'invalid_client_metadata',
  ],
  [
    'javascript: redirect URI',
    { ...publicClient, redirect_uris: ['javascript:alert(1)'] },
    'invalid_client_metadata',
  ],
  [
    'data: redirect URI',
    { ...publicClient, redirect_uris: ['data:text/html,hi'] },
    'invalid_client_metadata',
  ],
  [
    'redirect URI with credentials',
    { ...confidential, redirect_uris: ['https://u:p@a.example.com/cb'] },
    'invalid_client_metadata',
  ],
  [
    'redirect URI with a space',
    { ...confidential, redirect_uris: ['https://a.example.com/c b'] },
    'invalid_client_metadata',
  ],
  [
    'post-logout URI with a fragment',
    { ...confidential, post_logout_redirect_uris: ['https://a.example.com/#x'] },
    'invalid_client_metadata',
  ],
  [
    'post-logout URI over http',
    { ...confidential, post_logout_redirect_uris: ['http://a.example.com/'] },
    'invalid_client_metadata',
  ],
  ['unknown grant type', { ...confidential, grant_types: ['password'] }, 'invalid_client_metadata'],
  ['implicit grant', { ...confidential, grant_types: ['implicit'] }, 'invalid_client_metadata'],
  ['no grant type', { ...confidential, grant_types: [] }, 'invalid_client_metadata'],
  [
    'client_credentials for a public client',
    { ...publicClient, grant_types: ['client_credentials'] },
    'invalid_client_metadata',
  ],
  [
    'authorization_code without a redirect URI',
    { name: 'x', type: 'confidential', grant_types: ['authorization_code'] },
    'invalid_client_metadata',
  ],
  [
    'authorization_code by default without a redirect URI',
    { name: 'x', type: 'public' },
    'invalid_client_metadata',
  ],
  [
    'public client with a secret method',
    { ...publicClient, token_endpoint_auth_method: 'client_secret_basic' },
    'invalid_client_metadata',
  ],
  [
    'confidential client with method none',
    { ...confidential, token_endpoint_auth_method: 'none' },
    'invalid_client_metadata',
  ],
  [
    'unknown auth method',
    { ...confidential, token_endpoint_auth_method: 'tls_client_auth' },
    'invalid_client_metadata',
  ],
  [
    'private_key_jwt without jwks',
    { ...confidential, token_endpoint_auth_method: 'private_key_jwt' },
    'invalid_client_metadata',
  ],
  [
    'private_key_jwt with an empty jwks',
    { ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [] } },
    'invalid_client_metadata',
  ],
  [
    'private_key_jwt with a private key',
    { ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [privateJwk] } },
    'invalid_client_metadata',
  ],
  [
    'private_key_jwt with a symmetric key',
    {
      ...confidential,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
    },
    'invalid_client_metadata',
  ],
  [
    'private_key_jwt with a broken key',
    {
      ...confidential,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] },
    },
    'invalid_client_metadata',
  ],
  [
    'jwks without private_key_jwt',
    { ...confidential, jwks: { keys: [publicJwk] } },
    'invalid_client_metadata',
  ],
  ['scope with a space', { ...confidential, scopes: ['openid profile'] }, 'invalid_client_metadata'],
  ['scope with a quote', { ...confidential, scopes: ['a"b'] }, 'invalid_client_metadata'],
  ['scope with a backslash', { ...confidential, scopes: ['a\\b'] }, 'invalid_client_metadata'],
  ['empty scope', { ...confidential, scopes: [''] }, 'invalid_client_metadata'],
  ['scope of 101 characters', { ...confidential, scopes: ['s'.repeat(101)] }, 'invalid_client_metadata'],
  ['non-ASCII scope', { ...confidential, scopes: ['é'] }, 'invalid_client_metadata'],
  [
    'unknown ID token alg',
    { ...confidential, id_token_signed_response_alg: 'HS256' },
    'invalid_client_metadata',
  ],
  ['ID token alg none', { ...confidential, id_token_signed_response_alg: 'none' }, 'invalid_client_metadata'],
  ['client_id with a slash', { ...confidential, client_id: 'a/b' }, 'invalid_client_metadata'],
  ['client_id of 129 characters', { ...confidential, client_id: 'c'.repeat(129) }, 'invalid_client_metadata'],
  [
    'redirect_uris not a list',
    { ...confidential, redirect_uris: 'https://a.example.com/cb' },
    'invalid_request',
  ],
  ['first_party as a string', { ...confidential, first_party: 'yes' }, 'invalid_request'],
  ['name missing', { type: 'confidential', redirect_uris: ['https://a.example.com/cb'] }, 'invalid_request'],
];

/** Registrations at the edge of the rules that must be accepted. */
const GOOD: [string, Record<string, unknown>, (json: Record<string, unknown>) => void][] = [
  [
    'confidential defaults',
    confidential,
    (json) => {
      assert.equal(json.token_endpoint_auth_method, 'client_secret_basic');
      assert.deepEqual(json.grant_types, ['authorization_code', 'refresh_token']);
      assert.deepEqual(json.response_types, ['code']);
      assert.deepEqual(json.scopes, ['openid', 'profile', 'email', 'phone', 'address']);
      assert.equal(json.id_token_signed_response_alg, 'RS256');
      assert.equal(json.first_party, false);
      assert.match(json.client_id as string, /^[A-Za-z0-9_-]{22}$/);
      assert.match(json.client_secret as string, /^[A-Za-z0-9_-]{43}$/);
    },
  ],
  [
    'public defaults: method none, no secret',
    publicClient,
    (json) => {
      assert.equal(json.token_endpoint_auth_method, 'none');
      assert.equal('client_secret' in json, false);
    },
  ],
  [
    'name of 200 characters',
    { ...confidential, name: 'n'.repeat(200) },
    (json) => assert.equal((json.name as string).length, 200),
  ],
  [
    'http on loopback hosts',
    {
      ...publicClient,
      redirect_uris: ['http://localhost:3000/cb', 'http://127.0.0.1:8080/cb', 'http://[::1]/cb'],
    },
    (json) => assert.equal((json.redirect_uris as string[]).length, 3),
  ],
  [
    'custom scheme for a public (native) client',
    { ...publicClient, redirect_uris: ['com.example.app:/oauth2redirect'] },
    (json) => assert.deepEqual(json.redirect_uris, ['com.example.app:/oauth2redirect']),
  ],
  [
    '20 redirect URIs of 2000 characters',
    {
      ...confidential,
      redirect_uris: Array.from(
        { length: 20 },
        (_, i) => `https://a.example.com/${String(i).padStart(2, '0')}${'x'.repeat(2000 - 24)}`,
      ),
    },
    (json) => assert.equal((json.redirect_uris as string[]).length, 20),
  ],
  [
    'client_credentials only, no redirect URI',
    {
      name: 'service',
      type: 'confidential',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    (json) => {
      assert.deepEqual(json.grant_types, ['client_credentials']);
      assert.deepEqual(json.response_types, []);
    },
  ],
  [
    'private_key_jwt with a public key: no secret',
    { ...confidential, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } },
    (json) => {
      assert.equal('client_secret' in json, false);
      assert.deepEqual((json.jwks as { keys: object[] }).keys, [publicJwk]);
    },
  ],
  [
    'explicit client_id, scopes, alg, first party, post-logout URIs',
    {
      ...confidential,
      client_id: 'my-app.v2~x_y',
      scopes: ['openid', 'api:read', 'openid'],
      id_token_signed_response_alg: 'EdDSA',
      first_party: true,
      post_logout_redirect_uris: ['https://app.example.com/bye'],
    },
    (json) => {
      assert.equal(json.client_id, 'my-app.v2~x_y');
      assert.deepEqual(json.scopes, ['openid', 'api:read'], 'duplicates are dropped');
      assert.equal(json.id_token_signed_response_alg, 'EdDSA');
      assert.equal(json.first_party, true);
      assert.deepEqual(json.post_logout_redirect_uris, ['https://app.example.com/bye']);
    },
  ],
];

describe('client registration through the admin API', () => {
  let t: TestApp;
  let auth: Record<string, string>;

  before(async () => {
    t = await startTestApp();
    const { token } = await t.app.services.admins.create('ops@example.com');
    auth = { authorization: `Bearer ${token}` };
  });
  after(() => t.close());

  const clientCount = async () =>
    Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM clients')).rows[0]!.n);

  test('every invalid registration is refused with a 4xx error JSON and writes nothing', async () => {
    const failures: string[] = [];
    for (const [what, body, code] of BAD) {
      const before = await clientCount();
      const res = await t.post('/v2/admin/tenants/default/clients', body, auth);
      const ok =
        res.status === 400 &&
        res.body.error === code &&
        typeof res.body.error_description === 'string' &&
        res.body.request_id === res.headers.get('x-request-id') &&
        (await clientCount()) === before;
      if (!ok) failures.push(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(failures, []);
  });

  test('registrations at the edge of the rules are accepted', async () => {
    for (const [what, body, check] of GOOD) {
      const res = await t.post('/v2/admin/tenants/default/clients', body, auth);
      assert.equal(res.status, 201, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.tenant, 'default');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      check(res.body);
    }
  });

  test('a taken client_id is a 409 conflict, in any tenant', async () => {
    await t.db.query("INSERT INTO tenants (slug, name) VALUES ('other', 'Other')");
    const first = await t.post(
      '/v2/admin/tenants/default/clients',
      { ...confidential, client_id: 'taken-id' },
      auth,
    );
    assert.equal(first.status, 201);
    for (const tenant of ['default', 'other']) {
      const again = await t.post(
        `/v2/admin/tenants/${tenant}/clients`,
        { ...publicClient, client_id: 'taken-id' },
        auth,
      );
      assert.equal(again.status, 409, JSON.stringify(again.body));
      assert.equal(again.body.error, 'conflict');
    }
  });

  test('the service refuses the same inputs with HelloJohnError, never another error', async () => {
    const tenant = await t.app.services.tenants.resolve('default');
    const clients = new Clients(t.db);
    for (const [what, body] of BAD) {
      if (
        what === 'name missing' ||
        what === 'redirect_uris not a list' ||
        what === 'first_party as a string'
      )
        continue;
      await assert.rejects(
        clients.create(tenant, {
          name: body.name as string,
          type: body.type as 'public',
          redirectUris: body.redirect_uris as string[],
          postLogoutRedirectUris: body.post_logout_redirect_uris as string[],
          grantTypes: body.grant_types as [],
          tokenEndpointAuthMethod: body.token_endpoint_auth_method as 'none',
          scopes: body.scopes as string[],
          idTokenSignedResponseAlg: body.id_token_signed_response_alg as 'RS256',
          jwks: body.jwks as { keys: object[] },
          clientId: body.client_id as string,
        }),
        (error: unknown) => error instanceof HelloJohnError && error.code === 'invalid_client_metadata',
        what,
      );
    }
  });
});

describe('client secrets, cache and tenants', () => {
  let t: TestApp;
  let acme: Tenant;
  let defaultTenant: Tenant;

  before(async () => {
    t = await startTestApp();
    await t.db.query("INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')");
    acme = await t.app.services.tenants.resolve('acme');
    defaultTenant = await t.app.services.tenants.resolve('default');
  });
  after(() => t.close());

  test('the secret is returned once and stored only as its SHA-256', async () => {
    const { client, clientSecret } = await t.app.services.clients.create(defaultTenant, {
      name: 'Hashed',
      type: 'confidential',
      redirectUris: ['https://a.example.com/cb'],
    });
    assert.ok(clientSecret);
    const rows = (await t.db.query('SELECT * FROM clients WHERE client_id = $1', [client.clientId])).rows;
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.deepEqual(Buffer.from(row.secret_hash as Uint8Array), hashToken(clientSecret));
    const everything = JSON.stringify(row, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v,
    );
    assert.equal(everything.includes(clientSecret), false, 'the plain secret is nowhere in the row');
    const listed = await t.app.services.clients.list(defaultTenant);
    assert.equal(JSON.stringify(listed.map((c) => clientJson(c, 'default'))).includes(clientSecret), false);
    assert.equal('client_secret' in clientJson(client, 'default'), false);
    assert.equal(clientJson(client, 'default', clientSecret).client_secret, clientSecret);
  });

  test('verifySecret: true for the secret, false for anything else and for clients without one', async () => {
    const clients = t.app.services.clients;
    const { client, clientSecret } = await clients.create(defaultTenant, {
      name: 'Verify',
      type: 'confidential',
      redirectUris: ['https://a.example.com/cb'],
    });
    assert.equal(await clients.verifySecret(client, clientSecret!), true);
    assert.equal(await clients.verifySecret(client, `${clientSecret!}x`), false);
    assert.equal(await clients.verifySecret(client, clientSecret!.slice(0, -1)), false);
    assert.equal(await clients.verifySecret(client, ''), false);
    assert.equal(await clients.verifySecret(client, clientSecret!.toUpperCase()), false);
    // A Client object this instance never handed out (another instance's, or rebuilt) works too.
    const copy: Client = { ...client };
    assert.equal(await new Clients(t.db).verifySecret(copy, clientSecret!), true);
    assert.equal(await new Clients(t.db).verifySecret(copy, 'wrong'), false);

    const pub = await clients.create(defaultTenant, {
      name: 'Pub',
      type: 'public',
      redirectUris: ['https://a.example.com/cb'],
    });
    assert.equal(pub.clientSecret, null);
    assert.equal(await clients.verifySecret(pub.client, ''), false);
    assert.equal(await clients.verifySecret(pub.client, 'anything'), false);
    const jwt = await clients.create(defaultTenant, {
      name: 'Jwt',
      type: 'confidential',
      redirectUris: ['https://a.example.com/cb'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    });
    assert.equal(jwt.clientSecret, null);
    assert.equal(await clients.verifySecret(jwt.client, 'anything'), false);
    await assert.rejects(clients.rotateSecret(defaultTenant, jwt.client.clientId), {
      code: 'invalid_request',
    });
    await assert.rejects(clients.rotateSecret(defaultTenant, pub.client.clientId), {
      code: 'invalid_request',
    });
  });

  test('rotateSecret: the new secret works, the old one does not, on this and another instance', async () => {
    const here = t.app.services.clients;
    const elsewhere = new Clients(t.db);
    const { client, clientSecret: oldSecret } = await here.create(defaultTenant, {
      name: 'Rotate',
      type: 'confidential',
      redirectUris: ['https://a.example.com/cb'],
    });
    const cachedElsewhere = (await elsewhere.get(defaultTenant, client.clientId))!;
    assert.equal(await elsewhere.verifySecret(cachedElsewhere, oldSecret!), true);

    const rotated = await here.rotateSecret(defaultTenant, client.clientId);
    assert.notEqual(rotated.clientSecret, oldSecret);
    const fresh = (await here.get(defaultTenant, client.clientId))!;
    assert.equal(await here.verifySecret(fresh, rotated.clientSecret), true);
    assert.equal(await here.verifySecret(fresh, oldSecret!), false);
    assert.equal(
      await here.verifySecret(client, oldSecret!),
      false,
      'a stale Client object re-reads the hash',
    );
    // The other instance still has the old client cached: the new secret works there at once.
    assert.equal(await elsewhere.verifySecret(cachedElsewhere, rotated.clientSecret), true);
    const row = (await t.db.query('SELECT secret_hash FROM clients WHERE client_id = $1', [client.clientId]))
      .rows[0]!;
    assert.deepEqual(Buffer.from(row.secret_hash as Uint8Array), hashToken(rotated.clientSecret));
    await assert.rejects(here.rotateSecret(defaultTenant, 'no-such-client'), { code: 'not_found' });
  });

  test('get is cached per instance until invalidated; findAnyTenant names the tenant', async () => {
    const clients = new Clients(t.db);
    const { client } = await clients.create(acme, {
      name: 'Cached',
      type: 'public',
      redirectUris: ['https://a.example.com/cb'],
    });
    const first = await clients.get(acme, client.clientId);
    await t.db.query("UPDATE clients SET name = 'Renamed' WHERE client_id = $1", [client.clientId]);
    assert.equal((await clients.get(acme, client.clientId))!.name, 'Cached', 'served from the cache');
    assert.equal(await clients.get(acme, client.clientId), first);
    clients.invalidate(client.clientId);
    assert.equal((await clients.get(acme, client.clientId))!.name, 'Renamed');
    await t.db.query("UPDATE clients SET name = 'Again' WHERE client_id = $1", [client.clientId]);
    clients.invalidate();
    assert.equal((await clients.findAnyTenant(client.clientId))!.name, 'Again');
    assert.equal((await clients.findAnyTenant(client.clientId))!.tenantId, acme.id);
    const uncached = new Clients(t.db, { cacheTtlMs: 0 });
    await t.db.query("UPDATE clients SET name = 'Live' WHERE client_id = $1", [client.clientId]);
    assert.equal((await uncached.get(acme, client.clientId))!.name, 'Live');
    assert.equal(await clients.findAnyTenant('no-such-client'), null);
    assert.equal(await clients.findAnyTenant('not a client id'), null);
  });

  test('a client of one tenant is invisible under another', async () => {
    const { token } = await t.app.services.admins.create('iso@example.com');
    const auth = { authorization: `Bearer ${token}` };
    const created = await t.post('/v2/admin/tenants/acme/clients', confidential, auth);
    assert.equal(created.status, 201);
    const id = created.body.client_id as string;

    assert.equal(await t.app.services.clients.get(defaultTenant, id), null);
    assert.ok(await t.app.services.clients.get(acme, id));
    const listDefault = await t.get('/v2/admin/tenants/default/clients', auth);
    assert.equal(listDefault.status, 200);
    assert.equal(
      (listDefault.body.clients as { client_id: string }[]).some((c) => c.client_id === id),
      false,
    );
    const listAcme = await t.get('/v2/admin/tenants/acme/clients', auth);
    assert.equal(
      (listAcme.body.clients as { client_id: string }[]).some((c) => c.client_id === id),
      true,
    );
    const getDefault = await t.get(`/v2/admin/tenants/default/clients/${id}`, auth);
    assert.equal(getDefault.status, 404);
    assert.equal(getDefault.body.error, 'not_found');
    const rotateDefault = await t.post(
      `/v2/admin/tenants/default/clients/${id}/rotate-secret`,
      undefined,
      auth,
    );
    assert.equal(rotateDefault.status, 404);
    // By tenant id as well as slug.
    const byId = await t.get(`/v2/admin/tenants/${acme.id}/clients/${id}`, auth);
    assert.equal(byId.status, 200);
    assert.equal(byId.body.tenant, 'acme');
  });
});

test('generated client ids are 22 base64url characters and never look like a command-line option', () => {
  // 1 in 32 ids would start with - or _ if drawn plainly: 2,000 draws all but surely include such a draw.
  for (let i = 0; i < 2_000; i++) assert.match(newClientId(), /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/);
});
