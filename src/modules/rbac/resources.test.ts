// RFC 8707 resource indicators with roles, end to end: openid-client as the relying party (a full code
// flow through the hosted login and consent pages, refreshes, client_credentials) and jose as the
// resource servers, verifying each for its own audience as docs/oauth.md tells customers to. A token for
// one API is refused by another; a token without a resource is refused by every API and taken by
// UserInfo, which refuses the API's; roles changed show in the next token; a client not allowed a
// resource gets invalid_target at the authorization and token endpoints.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  authorize,
  basic,
  callbackOf,
  introspect,
  oauthError,
  startOidcApp,
  tokenRequest,
  userinfo,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../../../test/support/oidc.js';

const INVOICES = 'https://api.example.com/invoices';
const REPORTS = 'urn:example:reports';

describe('API resources (RFC 8707) and roles in access tokens', () => {
  let t: OidcTestApp;
  let admin: Record<string, string>;
  let invoicesId: string;
  let reportsId: string;
  let app: TestClient;
  let other: TestClient;
  let machine: TestClient;
  let user: TestUser;
  let userId: string;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  const adminCall = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${t.base}/v2/admin/tenants/default${path}`, {
      method,
      headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  /** The resource server: jose, verifying for its own identifier. */
  const api = async (token: string, audience: string): Promise<JWTPayload> =>
    (await jwtVerify(token, jwks, { issuer: t.issuer(), audience, typ: 'at+jwt' })).payload;

  const refusedBy = async (token: string, audience: string) =>
    assert.rejects(api(token, audience), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });

  /** A full code flow for `c`, asking for `params` (resource, scope); the tokens. */
  async function codeFlow(c: TestClient, params: Record<string, string>, tokenParams = {}) {
    const config = await t.rp(c);
    const req = await authRequest(config, c, params);
    const landing = await authorize(new HttpAgent(), req.url, user, { consent: 'allow' });
    const callback = callbackOf(landing, req.redirectUri);
    const tokens = await client.authorizationCodeGrant(
      config,
      callback,
      { pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce },
      tokenParams,
    );
    return { config, tokens };
  }

  before(async () => {
    t = await startOidcApp();
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
    jwks = createRemoteJWKSet(new URL(`${t.issuer()}/.well-known/jwks.json`));
    const invoices = await adminCall('POST', '/resources', {
      identifier: INVOICES,
      name: 'Invoices API',
      permissions: ['read:invoices', 'write:invoices'],
    });
    assert.equal(invoices.status, 201, JSON.stringify(invoices.body));
    invoicesId = invoices.body.id as string;
    const reports = await adminCall('POST', '/resources', {
      identifier: REPORTS,
      name: 'Reports API',
      permissions: ['read:reports'],
    });
    assert.equal(reports.status, 201, JSON.stringify(reports.body));
    reportsId = reports.body.id as string;

    app = await t.createClient({ scopes: ['openid', 'profile', 'email'] });
    other = await t.createClient({ scopes: ['openid', 'profile', 'email'] });
    machine = await t.createClient({ grantTypes: ['client_credentials'], scopes: [] });
    for (const [id, c, permissions] of [
      [invoicesId, app, []],
      [reportsId, app, []],
      [invoicesId, machine, ['read:invoices']],
    ] as const) {
      const allowed = await adminCall('PUT', `/resources/${id}/clients/${c.clientId}`, { permissions });
      assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    }

    for (const [name, permission] of [
      ['billing', 'read:invoices'],
      ['billing-admin', 'write:invoices'],
    ] as const) {
      assert.equal((await adminCall('POST', '/roles', { name })).status, 201);
      const added = await adminCall('POST', `/roles/${name}/permissions`, {
        permissions: [{ resource: INVOICES, permission }],
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
    }
    user = await t.createUser();
    const me = await t.get('/v2/me', { authorization: `Bearer ${user.accessToken!}` });
    userId = me.body.id as string;
    assert.ok(userId, JSON.stringify(me.body));
    assert.equal((await adminCall('POST', `/users/${userId}/roles`, { roles: ['billing'] })).status, 200);
  });
  after(() => t.close());

  test("a token for one API is refused by another, and by our own endpoints; it carries the user's roles", async () => {
    const { tokens } = await codeFlow(app, {
      resource: INVOICES,
      scope: 'openid email read:invoices write:invoices read:reports',
    });
    const claims = await api(tokens.access_token, INVOICES);
    assert.equal(claims.aud, INVOICES);
    // The roles give read:invoices only; read:reports is another API's; openid and email are the ID token's.
    assert.equal(claims.scope, 'read:invoices');
    assert.equal(tokens.scope, 'read:invoices');
    assert.deepEqual(claims.roles, ['billing']);
    assert.deepEqual(claims.permissions, ['read:invoices']);
    assert.deepEqual(claims.perms, ['read:invoices']);
    await refusedBy(tokens.access_token, REPORTS);
    const info = await userinfo(t.issuer(), tokens.access_token);
    assert.equal(info.status, 401, info.text);
    assert.equal(info.body.error, 'invalid_token');
    const account = await t.get('/v2/me', { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(account.status, 401, JSON.stringify(account.body));
    assert.equal(account.body.error, 'invalid_token');
    // The ID token and UserInfo's scopes are untouched.
    assert.equal(tokens.claims()?.email, user.email);
    // Introspection answers for every audience, and names it.
    const inspected = await introspect(app, tokens.access_token);
    assert.equal(inspected.body.active, true, inspected.text);
    assert.equal(inspected.body.aud, INVOICES);
  });

  test('a token without a resource is for our own APIs only: UserInfo takes it, no API does', async () => {
    const { tokens } = await codeFlow(app, { scope: 'openid email read:invoices' });
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.aud, `${t.issuer()}/userinfo`);
    assert.equal(claims.scope, 'openid email', 'an API permission without its resource is dropped');
    assert.deepEqual(claims.roles, ['billing']);
    await refusedBy(tokens.access_token, INVOICES);
    await refusedBy(tokens.access_token, t.issuer());
    const info = await userinfo(t.issuer(), tokens.access_token);
    assert.equal(info.status, 200, info.text);
    assert.equal(info.body.email, user.email);
    // The first-party API's own tokens: the same audience, also refused by an API.
    await refusedBy(user.accessToken!, INVOICES);
    assert.equal(decodeJwt(user.accessToken!).aud, `${t.issuer()}/userinfo`);
  });

  test('roles added and removed show in the next token, the next refresh included', async () => {
    const { config, tokens } = await codeFlow(app, {
      resource: INVOICES,
      scope: 'openid read:invoices write:invoices',
    });
    assert.equal(decodeJwt(tokens.access_token).scope, 'read:invoices');
    assert.equal(
      (await adminCall('POST', `/users/${userId}/roles`, { roles: ['billing-admin'] })).status,
      200,
    );
    const added = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const addedClaims = await api(added.access_token, INVOICES);
    assert.equal(addedClaims.scope, 'read:invoices write:invoices');
    assert.deepEqual(addedClaims.roles, ['billing', 'billing-admin']);

    assert.equal((await adminCall('DELETE', `/users/${userId}/roles`, { roles: ['billing'] })).status, 200);
    const removed = await client.refreshTokenGrant(config, added.refresh_token!, { resource: INVOICES });
    const removedClaims = await api(removed.access_token, INVOICES);
    assert.equal(removedClaims.scope, 'write:invoices');
    assert.deepEqual(removedClaims.roles, ['billing-admin']);

    // A refresh may not switch to another resource: refused before the refresh token is spent.
    const switched = await oauthError(
      client.refreshTokenGrant(config, removed.refresh_token!, { resource: REPORTS }),
    );
    assert.equal(switched.error, 'invalid_target');
    const again = await client.refreshTokenGrant(config, removed.refresh_token!);
    assert.equal((await api(again.access_token, INVOICES)).aud, INVOICES);

    assert.equal((await adminCall('POST', `/users/${userId}/roles`, { roles: ['billing'] })).status, 200);
    assert.equal(
      (await adminCall('DELETE', `/users/${userId}/roles`, { roles: ['billing-admin'] })).status,
      200,
    );
  });

  test("a tenant's first role and first resource work at once (tenants without either skip the role query)", async () => {
    const call = async (tenant: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${t.base}/v2/admin/tenants/${tenant}${path}`, {
        method,
        headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    for (const first of ['role', 'resource'] as const) {
      const tenant = `first-${first}`;
      await t.createTenant(tenant);
      const c = await t.createClient({ tenant, scopes: ['openid'] });
      const someone = await t.createUser(tenant);
      const flow = async (params: Record<string, string>) => {
        const config = await t.rp(c);
        const req = await authRequest(config, c, params);
        const landing = await authorize(new HttpAgent(), req.url, someone, { consent: 'allow' });
        const tokens = await client.authorizationCodeGrant(config, callbackOf(landing, req.redirectUri), {
          pkceCodeVerifier: req.verifier,
          expectedState: req.state,
          expectedNonce: req.nonce,
        });
        return { config, tokens };
      };
      // A token while the tenant has neither: the tenant is now known (and cached) as not using RBAC.
      const before = await flow({ scope: 'openid' });
      assert.deepEqual(decodeJwt(before.tokens.access_token).roles, []);
      if (first === 'role') {
        await call(tenant, 'POST', '/roles', { name: 'pioneer' });
        const id = (await call(tenant, 'GET', `/users?email=${encodeURIComponent(someone.email)}`)).users as {
          id: string;
        }[];
        await call(tenant, 'POST', `/users/${id[0]!.id}/roles`, { roles: ['pioneer'] });
        const refreshed = await client.refreshTokenGrant(before.config, before.tokens.refresh_token!);
        assert.deepEqual(decodeJwt(refreshed.access_token).roles, ['pioneer']);
      } else {
        const identifier = 'urn:example:first';
        const resource = await call(tenant, 'POST', '/resources', {
          identifier,
          name: 'First API',
          permissions: ['read:first'],
        });
        await call(tenant, 'PUT', `/resources/${resource.id as string}/clients/${c.clientId}`, {
          permissions: [],
        });
        const { tokens } = await flow({ resource: identifier, scope: 'openid read:first' });
        assert.equal(decodeJwt(tokens.access_token).aud, identifier);
      }
    }
  });

  test('a client not allowed a resource gets invalid_target at the authorization and token endpoints', async () => {
    const config = await t.rp(other);
    const req = await authRequest(config, other, { resource: INVOICES, scope: 'openid read:invoices' });
    const landing = await authorize(new HttpAgent(), req.url, user, { consent: 'allow' });
    const callback = callbackOf(landing, req.redirectUri);
    assert.equal(callback.searchParams.get('error'), 'invalid_target', callback.href);

    // Unknown resource, and several at once.
    const unknown = await authRequest(config, other, { resource: 'https://api.example.com/nope' });
    const refused = callbackOf(await authorize(new HttpAgent(), unknown.url, user), unknown.redirectUri);
    assert.equal(refused.searchParams.get('error'), 'invalid_target');

    // At the token endpoint: a grant made without a resource cannot be turned into one.
    const plain = await codeFlow(other, { scope: 'openid' });
    const turned = await oauthError(
      client.refreshTokenGrant(plain.config, plain.tokens.refresh_token!, { resource: INVOICES }),
    );
    assert.equal(turned.error, 'invalid_target');
    // client_credentials for a resource the client is not allowed.
    const stranger = await t.createClient({ grantTypes: ['client_credentials'], scopes: [] });
    const cc = await oauthError(client.clientCredentialsGrant(await t.rp(stranger), { resource: INVOICES }));
    assert.equal(cc.error, 'invalid_target');

    // Removed from the resource: the grant's next refresh is refused.
    const { config: appConfig, tokens } = await codeFlow(app, {
      resource: REPORTS,
      scope: 'openid read:reports',
    });
    assert.equal((await adminCall('DELETE', `/resources/${reportsId}/clients/${app.clientId}`)).status, 204);
    const gone = await oauthError(client.refreshTokenGrant(appConfig, tokens.refresh_token!));
    assert.equal(gone.error, 'invalid_target');
  });

  test('several resources in one request are invalid_target', async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    body.append('resource', INVOICES);
    body.append('resource', REPORTS);
    const response = await fetch(`${t.issuer()}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(machine.clientId, machine.clientSecret!),
      },
      body: body.toString(),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_target');
  });

  test('client_credentials with a resource: aud is the resource, scope only what the client was granted', async () => {
    const config = await t.rp(machine);
    const asked = await client.clientCredentialsGrant(config, {
      resource: INVOICES,
      scope: 'read:invoices write:invoices',
    });
    const claims = await api(asked.access_token, INVOICES);
    assert.equal(claims.sub, machine.clientId);
    assert.equal(claims.scope, 'read:invoices');
    assert.deepEqual(claims.perms, ['read:invoices']);
    assert.equal(asked.scope, 'read:invoices');
    await refusedBy(asked.access_token, REPORTS);
    // No scope: everything granted.
    const all = await client.clientCredentialsGrant(config, { resource: INVOICES });
    assert.equal((await api(all.access_token, INVOICES)).scope, 'read:invoices');
    // Without a resource: our own APIs' audience, which no API takes.
    const plain = await tokenRequest(machine, { grant_type: 'client_credentials' });
    assert.equal(plain.status, 200, plain.text);
    await refusedBy(plain.body.access_token as string, INVOICES);
  });
});
