// Complete authorization-code + PKCE flows: openid-client is the relying party with its default checks on
// (only plain-http requests are allowed, the test server being http on 127.0.0.1), and a person signs in
// through the real hosted pages in headless Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import type { BrowserContext } from 'playwright-core';
import {
  authorizeInBrowser,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../support/browser.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  basic,
  callbackOf,
  exchange,
  oauthError,
  postForm,
  startOidcApp,
  userinfo,
  verifyIdToken,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

type Tokens = Awaited<ReturnType<typeof exchange>>;

/** The ID token as the client received it, checked again independently of openid-client with jose. */
async function checkIdToken(c: TestClient, user: TestUser, tokens: Tokens, nonce: string) {
  const idToken = tokens.id_token;
  assert.ok(idToken, 'an ID token');
  const header = decodeProtectedHeader(idToken);
  assert.equal(header.alg, c.idTokenSignedResponseAlg);
  assert.ok(header.kid, 'the header names its key');
  const payload = await verifyIdToken(c, idToken);
  for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sid', 'amr']) {
    assert.ok(payload[claim] !== undefined, `the ID token has ${claim}: ${JSON.stringify(payload)}`);
  }
  assert.equal(payload.nonce, nonce);
  assert.ok(
    Array.isArray(payload.amr) && payload.amr.includes('pwd'),
    `amr names the password: ${String(payload.amr)}`,
  );
  assert.ok(
    Math.abs((payload.auth_time as number) - Date.now() / 1000) < 120,
    'auth_time is the login just made',
  );
  assert.equal(payload.email, user.email, 'email claim for the email scope');
  assert.equal(typeof payload.email_verified, 'boolean');
  assert.equal(payload.name, user.name, 'name claim for the profile scope');
  return payload;
}

/** UserInfo the three ways RFC 6750 allows: GET with the header, POST with the header, POST with the body. */
async function checkUserInfo(
  c: TestClient,
  config: client.Configuration,
  accessToken: string,
  sub: string,
  email: string,
) {
  const viaClient = await client.fetchUserInfo(config, accessToken, sub);
  assert.equal(viaClient.email, email);
  const postHeader = await fetch(`${c.issuer}/userinfo`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  assert.equal(postHeader.status, 200, await postHeader.clone().text());
  assert.equal(((await postHeader.json()) as { sub: string }).sub, sub);
  const postBody = await postForm(c.issuer, '/userinfo', { access_token: accessToken });
  assert.equal(postBody.status, 200, postBody.text);
  assert.equal(postBody.body.sub, sub);
  const none = await fetch(`${c.issuer}/userinfo`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/i);
}

// One provider for the file; each test makes its own clients and users.
let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(() => t.close());

describe('authorization code flows in Chromium', { skip: unlessChromium() }, () => {
  let callbacks: CallbackServer;
  const browser = sharedBrowser();
  let context: BrowserContext;

  before(async () => {
    callbacks = await startCallbackServer();
  });
  after(async () => {
    await browser.close();
    await callbacks?.close();
  });

  async function newPage() {
    context = await (await browser.get()).newContext();
    return context.newPage();
  }

  test('confidential client (client_secret_basic): sign-in, consent, ID token, userinfo, refresh, introspect, revoke, logout', async () => {
    const redirectUri = callbacks.uri();
    const signedOut = callbacks.uri('signed-out');
    const c = await t.createClient({
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [signedOut],
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    const user = await t.createUser();
    const config = await t.rp(c);
    const page = await newPage();
    try {
      const req = await authRequest(config, c);
      const { callback, pagesSeen } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user, {
        consent: 'allow',
      });
      assert.deepEqual(pagesSeen, ['login', 'consent'], 'a third-party client asks for consent');
      assert.ok(callback instanceof URL);
      assert.equal(callback.searchParams.get('iss'), c.issuer, 'iss in the authorization response');

      const tokens = await exchange(config, req, callback);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.ok(tokens.expires_in && tokens.expires_in > 0);
      assert.ok(tokens.refresh_token, 'a refresh token');
      const claims = await checkIdToken(c, user, tokens, req.nonce);
      await checkUserInfo(c, config, tokens.access_token, claims.sub!, user.email);

      const introspected = await client.tokenIntrospection(config, tokens.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, c.clientId);
      assert.equal(introspected.sub, claims.sub);

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated');
      assert.equal((await client.fetchUserInfo(config, refreshed.access_token, claims.sub!)).sub, claims.sub);
      if (refreshed.id_token) assert.equal(refreshed.claims()!.sub, claims.sub);

      await client.tokenRevocation(config, refreshed.refresh_token);
      assert.equal((await client.tokenIntrospection(config, refreshed.refresh_token)).active, false);
      const afterRevoke = await oauthError(client.refreshTokenGrant(config, refreshed.refresh_token));
      assert.equal(afterRevoke.error, 'invalid_grant');

      // RP-initiated logout ends the browser session and comes back with the state.
      const logout = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: signedOut,
        state: 'bye',
      });
      await page.goto(logout.href);
      await page.waitForURL((u) => u.href.startsWith(signedOut));
      assert.equal(callbacks.last(signedOut)?.url.searchParams.get('state'), 'bye');

      const silent = await authRequest(config, c, { prompt: 'none' });
      const again = await authorizeInBrowser(page, silent.url, redirectUri, callbacks, null);
      assert.equal((await oauthError(exchange(config, silent, again.callback))).error, 'login_required');
    } finally {
      await context.close();
    }
  });

  test('confidential client (client_secret_post), first party, response_mode=form_post', async () => {
    const redirectUri = callbacks.uri();
    const c = await t.createClient({
      redirectUris: [redirectUri],
      tokenEndpointAuthMethod: 'client_secret_post',
      firstParty: true,
    });
    const user = await t.createUser();
    const config = await t.rp(c);
    const page = await newPage();
    try {
      const req = await authRequest(config, c, { response_mode: 'form_post' });
      const { callback, pagesSeen } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user);
      assert.deepEqual(pagesSeen, ['login'], 'a first-party client skips consent');
      assert.ok(callback instanceof Request, 'the response was POSTed to the redirect URI');
      const tokens = await exchange(config, req, callback);
      const claims = await checkIdToken(c, user, tokens, req.nonce);

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.equal(
        (await client.fetchUserInfo(config, refreshed.access_token, claims.sub!)).email,
        user.email,
      );
      const introspected = await client.tokenIntrospection(config, refreshed.access_token);
      assert.equal(introspected.active, true);

      // Signed in now: a second authorization needs no page at all.
      const second = await authRequest(config, c);
      const silent = await authorizeInBrowser(page, second.url, redirectUri, callbacks, null);
      assert.deepEqual(silent.pagesSeen, []);
      assert.equal((await exchange(config, second, silent.callback)).claims()!.sub, claims.sub);
    } finally {
      await context.close();
    }
  });

  test('public client: PKCE without a secret, refresh, userinfo, revoke, logout', async () => {
    const redirectUri = callbacks.uri();
    const signedOut = callbacks.uri('signed-out');
    const c = await t.createClient({
      type: 'public',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: [signedOut],
    });
    const user = await t.createUser();
    const config = await t.rp(c);
    const page = await newPage();
    try {
      const req = await authRequest(config, c);
      const { callback } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user, {
        consent: 'allow',
      });
      const tokens = await exchange(config, req, callback);
      const claims = await checkIdToken(c, user, tokens, req.nonce);
      assert.ok(tokens.refresh_token, 'a public client gets a (rotating) refresh token');
      await checkUserInfo(c, config, tokens.access_token, claims.sub!, user.email);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      await client.tokenRevocation(config, refreshed.refresh_token!);
      assert.equal(
        (await oauthError(client.refreshTokenGrant(config, refreshed.refresh_token!))).error,
        'invalid_grant',
      );

      const logout = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: signedOut,
        state: 'public-bye',
      });
      await page.goto(logout.href);
      await page.waitForURL((u) => u.href.startsWith(signedOut));
      assert.equal(callbacks.last(signedOut)?.url.searchParams.get('state'), 'public-bye');
    } finally {
      await context.close();
    }
  });

  test('a non-default tenant runs the whole flow under its own issuer', async () => {
    await t.createTenant('acme', 'Acme');
    const redirectUri = callbacks.uri();
    const c = await t.createClient({ tenant: 'acme', redirectUris: [redirectUri] });
    assert.equal(c.issuer, `${t.base}/t/acme`);
    const user = await t.createUser('acme');
    const config = await t.rp(c);
    assert.equal(config.serverMetadata().issuer, `${t.base}/t/acme`);
    assert.equal(config.serverMetadata().token_endpoint, `${t.base}/t/acme/oauth2/token`);
    const page = await newPage();
    try {
      const req = await authRequest(config, c);
      const { callback } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user, {
        consent: 'allow',
        onPage: async (p) =>
          assert.ok(
            new URL(p.url()).pathname.startsWith('/t/acme/'),
            `hosted page under /t/acme: ${p.url()}`,
          ),
      });
      const tokens = await exchange(config, req, callback);
      const claims = await checkIdToken(c, user, tokens, req.nonce);
      assert.equal(claims.iss, `${t.base}/t/acme`);
      assert.equal((await client.fetchUserInfo(config, tokens.access_token, claims.sub!)).email, user.email);
      // The default tenant's endpoints do not know this token.
      assert.equal((await userinfo(t.issuer(), tokens.access_token)).status, 401);
    } finally {
      await context.close();
    }
  });
});

describe('grants and tokens without a browser', () => {
  test('client_credentials issues an access token to a confidential client with that grant', async () => {
    const c = await t.createClient({
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    const config = await t.rp(c);
    const tokens = await client.clientCredentialsGrant(config);
    assert.ok(tokens.access_token);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.refresh_token, undefined, 'no refresh token for client_credentials');
    assert.equal(tokens.id_token, undefined, 'no ID token: there is no user');
    const introspected = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.client_id, c.clientId);

    const post = await t.createClient({
      grantTypes: ['client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_post',
    });
    assert.ok((await client.clientCredentialsGrant(await t.rp(post))).access_token);

    // A client without the grant, and a public client, are refused.
    const codeOnly = await t.createClient();
    assert.equal(
      (await oauthError(client.clientCredentialsGrant(await t.rp(codeOnly)))).error,
      'unauthorized_client',
    );
    const pub = await t.createClient({ type: 'public' });
    const refused = await postForm(pub.issuer, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: pub.clientId,
    });
    assert.ok(
      ['unauthorized_client', 'invalid_client'].includes(refused.body.error as string),
      `a public client cannot use client_credentials: ${refused.text}`,
    );
  });

  test('ID tokens are signed with the algorithm the client registered', async () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const c = await t.createClient({ idTokenSignedResponseAlg: alg, firstParty: true });
      const user = await t.createUser();
      const config = await t.rp(c);
      const req = await authRequest(config, c);
      const tokens = await exchange(
        config,
        req,
        callbackOf(await authorize(new HttpAgent(), req.url, user), c.redirectUri),
      );
      await checkIdToken(c, user, tokens, req.nonce);
    }
  });

  test('discovery lists only what is implemented, at both well-known paths', async () => {
    const oidc = (await (await fetch(`${t.base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    const oauth = (await (await fetch(`${t.base}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(oidc.issuer, t.base);
    assert.equal(oauth.issuer, t.base);
    const endpoints = {
      authorization_endpoint: '/oauth2/authorize',
      token_endpoint: '/oauth2/token',
      userinfo_endpoint: '/userinfo',
      revocation_endpoint: '/oauth2/revoke',
      introspection_endpoint: '/oauth2/introspect',
      end_session_endpoint: '/oauth2/logout',
      jwks_uri: '/.well-known/jwks.json',
    };
    for (const [key, path] of Object.entries(endpoints)) assert.equal(oidc[key], `${t.base}${path}`, key);
    assert.deepEqual(oidc.response_types_supported, ['code']);
    assert.deepEqual(new Set(oidc.response_modes_supported as string[]), new Set(['query', 'form_post']));
    assert.deepEqual(
      new Set(oidc.grant_types_supported as string[]),
      new Set(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    assert.deepEqual(oidc.code_challenge_methods_supported, ['S256']);
    assert.equal(oidc.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(
      new Set(oidc.id_token_signing_alg_values_supported as string[]),
      new Set(['RS256', 'EdDSA', 'ES256']),
    );
    assert.ok((oidc.scopes_supported as string[]).includes('openid'));
    assert.ok((oidc.subject_types_supported as string[]).includes('public'));
    for (const method of ['client_secret_basic', 'client_secret_post', 'none']) {
      assert.ok((oidc.token_endpoint_auth_methods_supported as string[]).includes(method), method);
    }
    assert.ok(!('registration_endpoint' in oidc), 'no dynamic registration is offered');
    const jwks = (await (await fetch(oidc.jwks_uri as string)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    assert.ok(
      jwks.keys.some((k) => k.kty === 'RSA'),
      'an RSA key for RS256',
    );
    for (const key of jwks.keys) assert.equal(key.d, undefined, 'no private parts in the JWKS');

    await t.createTenant('disco', 'Disco');
    const acme = (await (await fetch(`${t.base}/t/disco/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(acme.issuer, `${t.base}/t/disco`);
    assert.equal(acme.authorization_endpoint, `${t.base}/t/disco/oauth2/authorize`);
    // The introspection endpoint refuses anonymous callers (checked here so this file covers every endpoint).
    const anonymous = await postForm(
      t.base,
      '/oauth2/introspect',
      { token: 'x' },
      { authorization: basic('nobody', 'x') },
    );
    assert.equal(anonymous.status, 401);
  });
});
