// The admin console's sign-in, end to end on a real server: openid-client discovers the operators'
// tenant, the console admin signs in on the hosted form (authorization code + PKCE, no consent), and the
// access token opens the admin API (`via: console`). Refused: an account of the tenant without the admin
// role (403), tokens of another client or another tenant (401), a revoked session (401), and a role taken
// away (403 at once, the next request).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { HttpAgent, RP_HOST, expectPage, isConsentPage, isLoginPage } from '../../../test/support/oidc.js';
import type { OperatorAccounts } from '../../kernel/module.js';

const CONSOLE = 'hellojohn-console';

describe('admin console sign-in', () => {
  let t: TestApp;
  let apiKey: string;
  let accounts: OperatorAccounts;
  const admin = { email: uniqueEmail('operator'), password: STRONG_PASSWORD, id: '' };
  const api = (path: string, token: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${t.base}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  before(async () => {
    t = await startTestApp();
    const services = t.app.services;
    apiKey = (await services.admins.create(uniqueEmail('keyholder'))).token;
    accounts = services.modules.find(({ parts }) => parts.operatorAccounts)!.parts.operatorAccounts!;
    admin.id = (await accounts.create(admin.email, admin.password)).userId;
  });
  after(() => t?.close());

  /** Signs in through the hosted form with authorization code + PKCE; the client's tokens. */
  async function signIn(
    who: { email: string; password: string },
    options: { issuer?: string; clientId?: string; redirectUri?: string } = {},
  ) {
    const issuer = options.issuer ?? `${t.base}/t/admin`;
    const clientId = options.clientId ?? CONSOLE;
    const redirectUri = options.redirectUri ?? `${t.base}/admin/callback`;
    const config = await client.discovery(new URL(issuer), clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const agent = new HttpAgent();
    const login = await agent.walk(url);
    const page = expectPage(login, 'the sign-in page', isLoginPage);
    assert.equal(page.status, 200);
    const landing = await agent.submit(page, {
      email: who.email,
      password: who.password,
    });
    if (landing.kind === 'page') assert.ok(!isConsentPage(landing.page), 'a first-party client: no consent');
    // The console's redirect URI is on this server: the walk follows it to the console's page.
    const callback = landing.kind === 'redirect' ? landing.url : landing.page.url;
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri, `landed on ${callback.href}`);
    assert.ok(callback.searchParams.get('code'), `a code in ${callback.href}`);
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    return { tokens, config };
  }

  test('discovery, code + PKCE sign-in, then the admin API with the console token', async () => {
    const config = await client.discovery(new URL(`${t.base}/t/admin`), CONSOLE, undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    assert.equal(config.serverMetadata().issuer, `${t.base}/t/admin`);
    assert.ok(config.serverMetadata().code_challenge_methods_supported?.includes('S256'));

    const { tokens } = await signIn(admin);
    assert.ok(tokens.refresh_token, 'a refresh token (tied to the sign-in session)');
    assert.equal(tokens.claims()?.email, admin.email);

    const me = await api('/v2/admin/me', tokens.access_token);
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.via, 'console');
    assert.equal(me.body.scope, 'admin');
    assert.equal(me.body.email, admin.email);
    const access = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as {
      sid: string;
    };
    assert.equal(me.body.token_id, access.sid, "the token id is the access token's session");

    const tenants = await api('/v2/admin/tenants', tokens.access_token);
    assert.equal(tenants.status, 200, JSON.stringify(tenants.body));
    const slugs = (tenants.body.tenants as { slug: string }[]).map((x) => x.slug);
    assert.ok(slugs.includes('admin') && slugs.includes('default'), slugs.join());

    // The admins row found by email: keys made from the console belong to it, and the trail says who.
    const key = await api('/v2/admin/api-keys', tokens.access_token, {
      method: 'POST',
      body: { name: 'ci' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const keyMe = await api('/v2/admin/me', key.body.key as string);
    assert.equal(keyMe.body.via, 'api_key');
    assert.equal(keyMe.body.admin_id, me.body.admin_id);
    const audit = await t.db.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE type = 'admin.token_created' AND data->>'name' = 'ci'`,
    );
    assert.equal(audit.rows[0]?.data.by_admin_id, me.body.admin_id);

    // The API key still works beside it.
    assert.equal((await api('/v2/admin/me', apiKey)).body.via, 'api_key');
  });

  test('an account of the operators\u2019 tenant without the admin role: 403', async () => {
    const plain = { email: uniqueEmail('plain'), password: STRONG_PASSWORD };
    const made = await api('/v2/admin/tenants/admin/users', apiKey, {
      method: 'POST',
      body: { email: plain.email, password: plain.password, email_verified: true },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { tokens } = await signIn(plain);
    const me = await api('/v2/admin/me', tokens.access_token);
    assert.equal(me.status, 403, JSON.stringify(me.body));
    assert.equal(me.body.error, 'access_denied');
    assert.match(me.body.error_description as string, /does not have the admin role/);
  });

  test('tokens of another client, of no client, or of another tenant: 401', async () => {
    // Another first-party client of the operators' tenant, signed in by the console admin.
    const other = await api('/v2/admin/tenants/admin/clients', apiKey, {
      method: 'POST',
      body: {
        name: 'not the console',
        type: 'public',
        redirect_uris: [`${RP_HOST}/cb`],
        grant_types: ['authorization_code', 'refresh_token'],
        first_party: true,
      },
    });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const { tokens } = await signIn(admin, {
      clientId: other.body.client_id as string,
      redirectUri: `${RP_HOST}/cb`,
    });
    const refused = await api('/v2/admin/me', tokens.access_token);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_token');

    // The first-party API's own token of the same admin (no client).
    const direct = await t.post('/v2/auth/login', {
      email: admin.email,
      password: admin.password,
      tenant_id: 'admin',
    });
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    assert.equal((await api('/v2/admin/me', direct.body.access_token as string)).status, 401);

    // A token of the default tenant, whose user has the same address.
    const registered = await t.post('/v2/auth/register', { email: admin.email, password: admin.password });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal((await api('/v2/admin/me', registered.body.access_token as string)).status, 401);
    assert.equal((await api('/v2/admin/me', 'not-a-token')).status, 401);
  });

  test('a revoked session: 401; the role taken away: 403 at once', async () => {
    const first = await signIn(admin);
    assert.equal((await api('/v2/admin/me', first.tokens.access_token)).status, 200);
    await client.tokenRevocation(first.config, first.tokens.refresh_token!);
    const revoked = await api('/v2/admin/me', first.tokens.access_token);
    assert.equal(revoked.status, 401, JSON.stringify(revoked.body));

    const second = await signIn(admin);
    assert.equal((await api('/v2/admin/me', second.tokens.access_token)).status, 200);
    const removed = await api(`/v2/admin/tenants/admin/users/${admin.id}/roles`, apiKey, {
      method: 'DELETE',
      body: { roles: ['admin'] },
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const denied = await api('/v2/admin/me', second.tokens.access_token);
    assert.equal(denied.status, 403, JSON.stringify(denied.body));
    assert.equal(denied.body.error, 'access_denied');

    // Given back (by `admin create --console` again, which keeps the password): the same token works.
    const again = await accounts.create(admin.email, 'a different password that is ignored');
    assert.equal(again.created, false);
    assert.equal((await api('/v2/admin/me', second.tokens.access_token)).status, 200);
  });

  test('the operators\u2019 tenant: no sign-up, the console client and the system role', async () => {
    const signUp = await t.post('/v2/auth/register', {
      email: uniqueEmail('intruder'),
      password: STRONG_PASSWORD,
      tenant_id: 'admin',
    });
    assert.equal(signUp.status, 403, JSON.stringify(signUp.body));
    const consoleClient = await api(`/v2/admin/tenants/admin/clients/${CONSOLE}`, apiKey);
    assert.equal(consoleClient.status, 200);
    assert.equal(consoleClient.body.type, 'public');
    assert.equal(consoleClient.body.token_endpoint_auth_method, 'none');
    assert.equal(consoleClient.body.first_party, true);
    assert.deepEqual(consoleClient.body.redirect_uris, [`${t.base}/admin/callback`]);
    assert.deepEqual(consoleClient.body.post_logout_redirect_uris, [`${t.base}/admin/`]);
    const roles = await api('/v2/admin/tenants/admin/roles', apiKey);
    const role = (roles.body.roles as { name: string; system: boolean }[]).find((r) => r.name === 'admin');
    assert.equal(role?.system, true);
  });

  test('the console client\u2019s redirect URIs follow BASE_URL again when they were changed', async () => {
    const path = `/v2/admin/tenants/admin/clients/${CONSOLE}`;
    const moved = await api(path, apiKey, {
      method: 'PATCH',
      body: { redirect_uris: [`${RP_HOST}/elsewhere`], post_logout_redirect_uris: [`${RP_HOST}/`] },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.deepEqual(moved.body.redirect_uris, [`${RP_HOST}/elsewhere`]);
    // Making the tenant ready again (here through the CLI's account path) puts them back.
    await accounts.create(admin.email, 'ignored: the account exists');
    const restored = await api(path, apiKey);
    assert.deepEqual(restored.body.redirect_uris, [`${t.base}/admin/callback`]);
    assert.deepEqual(restored.body.post_logout_redirect_uris, [`${t.base}/admin/`]);
  });
});
