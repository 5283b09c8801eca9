// offline_access (OpenID Connect Core §11) and scope narrowing (RFC 6749 §3.3), with openid-client as the
// relying party: an offline grant's refresh token outlives the browser session it came from (logout,
// RP-initiated logout), is listed and revocable on the account API, and reuse still revokes the family.
// Without offline_access the refresh token ends with the browser session, as before. Scopes the client may
// not have, or that the server does not know, are dropped and the granted scope returned, not refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  exchange,
  expectRedirect,
  isConsentPage,
  oauthError,
  rawAuthorizeUrl,
  signIn,
  startOidcApp,
  tokenRequest,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(() => t.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** RP-initiated logout with the ID token as hint: the browser session ends at once. */
async function logOut(agent: HttpAgent, config: client.Configuration, c: TestClient, idToken: string) {
  const url = client.buildEndSessionUrl(config, {
    id_token_hint: idToken,
    post_logout_redirect_uri: c.postLogoutRedirectUris[0]!,
  });
  expectRedirect(await agent.walk(url), c.postLogoutRedirectUris[0]!);
}

/** The user's own first-party bearer token, for the account API. */
async function accountToken(user: TestUser): Promise<string> {
  const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return String(login.body.access_token);
}

interface ListedSession {
  id: string;
  kind: string;
  offline: boolean;
  client_id: string | null;
}

async function sessionsOf(token: string): Promise<ListedSession[]> {
  const r = await t.get('/v2/auth/sessions', bearer(token));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.sessions as ListedSession[];
}

describe('offline_access', () => {
  test('discovery lists offline_access', async () => {
    const r = await t.get('/.well-known/openid-configuration');
    assert.ok((r.body.scopes_supported as string[]).includes('offline_access'));
  });

  test('an offline grant keeps refreshing after the browser session is logged out', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, user, { scope: 'openid email offline_access' });
    assert.ok(tokens.refresh_token, 'a refresh token');
    assert.equal(tokens.scope, 'openid email offline_access');

    await logOut(agent, config, c, tokens.id_token!);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
    assert.equal(refreshed.scope, 'openid email offline_access');
    assert.equal(refreshed.claims()?.sub, tokens.claims()?.sub, 'the ID token names the same user');
    // The access token of the offline grant is live on its own (UserInfo checks the session behind it).
    const info = await client.fetchUserInfo(config, refreshed.access_token, tokens.claims()!.sub);
    assert.equal(info.email, user.email);
    // And it keeps rotating.
    const again = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    assert.ok(again.access_token);
  });

  test('without offline_access the refresh token still ends with the browser session', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, user, { scope: 'openid email' });
    assert.ok(tokens.refresh_token, 'a refresh token, as before');
    await logOut(agent, config, c, tokens.id_token!);
    assert.equal(
      (await oauthError(client.refreshTokenGrant(config, tokens.refresh_token))).error,
      'invalid_grant',
    );
  });

  test('the user sees offline grants on the account API and can revoke them', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const offline = await signIn(agent, config, c, user, { scope: 'openid offline_access' });
    const online = await signIn(agent, config, c, user, { scope: 'openid' });
    assert.ok(online.tokens.refresh_token);
    await logOut(agent, config, c, offline.tokens.id_token!);

    const token = await accountToken(user);
    const listed = (await sessionsOf(token)).filter((s) => s.client_id === c.clientId);
    assert.equal(listed.length, 1, `only the offline grant outlived the logout: ${JSON.stringify(listed)}`);
    const grant = listed[0]!;
    assert.equal(grant.offline, true);
    assert.equal(grant.kind, 'api');
    assert.ok(
      (await sessionsOf(token)).some((s) => s.offline === false && s.client_id === null),
      'the account session itself is not offline',
    );

    const deleted = await fetch(`${t.base}/v2/auth/sessions/${grant.id}`, {
      method: 'DELETE',
      headers: bearer(token),
    });
    assert.equal(deleted.status, 204);
    assert.equal(
      (await oauthError(client.refreshTokenGrant(config, offline.tokens.refresh_token!))).error,
      'invalid_grant',
      'revoked by the user: the refresh token is dead',
    );
  });

  test('reuse of a rotated offline refresh token revokes the whole grant', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const { tokens } = await signIn(new HttpAgent(), config, c, user, { scope: 'openid offline_access' });
    const next = await client.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(
      (await oauthError(client.refreshTokenGrant(config, tokens.refresh_token!))).error,
      'invalid_grant',
    );
    assert.equal(
      (await oauthError(client.refreshTokenGrant(config, next.refresh_token!))).error,
      'invalid_grant',
      'the successor dies with the family',
    );
  });

  test('a third-party client gets offline access only after the user consents to it', async () => {
    const c = await t.createClient();
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    // Consent for openid alone first: a later offline_access request must ask again.
    await signIn(agent, config, c, user, { scope: 'openid' });
    const req = await authRequest(config, c, { scope: 'openid offline_access' });
    const shown: string[] = [];
    const landing = await authorize(agent, req.url, null, {
      consent: 'allow',
      onPage: (page) => {
        if (isConsentPage(page)) shown.push(page.html);
      },
    });
    assert.equal(shown.length, 1, 'the consent page is shown again for offline_access');
    assert.match(shown[0]!, /offline_access/);
    assert.match(shown[0]!, /when you are not using the app/);
    const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
    assert.equal(tokens.scope, 'openid offline_access');

    // prompt=none cannot ask: with the consent remembered it succeeds silently.
    const silent = await authRequest(config, c, { scope: 'openid offline_access', prompt: 'none' });
    const url = expectRedirect(await agent.walk(silent.url), c.redirectUri);
    assert.ok(url.searchParams.get('code'), url.href);
  });
});

describe('scope narrowing (RFC 6749 §3.3)', () => {
  async function exchanged(c: TestClient, user: TestUser, scope: string) {
    const config = await t.rp(c);
    const req = await authRequest(config, c, { scope });
    const landing = await authorize(new HttpAgent(), req.url, user, { consent: 'allow' });
    return exchange(config, req, callbackOf(landing, req.redirectUri));
  }

  test('scopes the client may not have and unknown scopes are dropped, and the granted scope returned', async () => {
    const c = await t.createClient({ firstParty: true, scopes: ['openid', 'email'] });
    const user = await t.createUser();
    const tokens = await exchanged(c, user, 'openid email profile no-such-scope offline_access');
    // offline_access needs no listing: the refresh_token grant is what allows it.
    assert.equal(tokens.scope, 'openid email offline_access');
    assert.equal(tokens.claims()?.email, user.email);
    assert.equal(tokens.claims()?.name, undefined, 'profile was not granted');
  });

  test('offline_access is dropped for a client without the refresh_token grant (no refresh token)', async () => {
    const c = await t.createClient({ firstParty: true, grantTypes: ['authorization_code'] });
    const user = await t.createUser();
    const tokens = await exchanged(c, user, 'openid offline_access');
    assert.equal(tokens.scope, 'openid');
    assert.equal(tokens.refresh_token, undefined);
  });

  test('openid the client may not have is still an error (dropping it would change the protocol)', async () => {
    const c = await t.createClient({ firstParty: true, scopes: ['api:read'] });
    const config = await t.rp(c);
    const req = await authRequest(config, c, { scope: 'openid api:read' });
    const url = expectRedirect(await new HttpAgent().walk(req.url), c.redirectUri);
    assert.equal(url.searchParams.get('error'), 'invalid_scope');
  });

  test('a request left with no known scope at all still succeeds (plain OAuth 2.0)', async () => {
    const c = await t.createClient({ firstParty: true, scopes: ['openid', 'api:read'] });
    const user = await t.createUser();
    const config = await t.rp(c);
    const agent = new HttpAgent();
    const { verifier, url } = await authRequest(config, c, { scope: 'api:write' });
    const landing = await authorize(agent, url, user);
    const callback = expectRedirect(landing, c.redirectUri);
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.href);
    const r = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: c.redirectUri,
      code_verifier: verifier,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.scope, '', 'nothing granted, and said so');
    assert.equal(r.body.id_token, undefined);
  });

  test('a malformed scope parameter is still invalid_scope', async () => {
    const c = await t.createClient({ firstParty: true });
    const landing = await new HttpAgent().walk(
      rawAuthorizeUrl(c.issuer, {
        client_id: c.clientId,
        redirect_uri: c.redirectUri,
        response_type: 'code',
        scope: 'openid "quoted"',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
      }),
    );
    const url = expectRedirect(landing, c.redirectUri);
    assert.equal(url.searchParams.get('error'), 'invalid_scope');
  });
});
