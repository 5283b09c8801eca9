// An error at the token endpoint changes nothing (RFC 6749 §5.2): a code or refresh token presented by
// the wrong client, with the wrong redirect URI or PKCE verifier, or asking for too wide a scope, is
// refused and stays exactly as usable as before. Only a replay by the code's or token's own client (one
// that proves it with the redirect URI and verifier too) revokes what was issued (RFC 6749 §4.1.2,
// §10.5; RFC 9700 §4.14.2).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  pkce,
  startOidcApp,
  tokenRequest,
  type OidcTestApp,
  type TestClient,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(async () => {
  await t?.close();
});

/** A fresh authorization code of client `c` (PKCE S256), with what its exchange needs. */
async function codeFor(c: TestClient) {
  const config = await t.rp(c);
  const user = await t.createUser();
  const req = await authRequest(config, c);
  const callback = callbackOf(
    await authorize(new HttpAgent(), req.url, user, { consent: 'allow' }),
    req.redirectUri,
  );
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.href}`);
  const exchangeWith = (presenter: TestClient, overrides: Record<string, string> = {}) =>
    tokenRequest(presenter, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
      ...overrides,
    });
  return { config, code, req, exchangeWith };
}

/** Two clients of the same kind sharing a redirect URI (so only the client differs). */
async function twoClients(type: 'public' | 'confidential') {
  const shared = t.redirectUri();
  const a = await t.createClient({ type, redirectUris: [shared] });
  const b = await t.createClient({ type, redirectUris: [shared] });
  return { a, b };
}

async function refreshWith(c: TestClient, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(c, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

describe('authorization code presented by another client', () => {
  for (const type of ['public', 'confidential'] as const) {
    test(`a ${type} client cannot spend another client's unused code`, async () => {
      const { a, b } = await twoClients(type);
      const { exchangeWith } = await codeFor(a);
      const stolen = await exchangeWith(b);
      assert.equal(stolen.status, 400, stolen.text);
      assert.equal(stolen.body.error, 'invalid_grant');
      const own = await exchangeWith(a);
      assert.equal(own.status, 200, `the code still works for its own client: ${own.text}`);
    });

    test(`a ${type} client replaying another client's used code revokes nothing`, async () => {
      const { a, b } = await twoClients(type);
      const { exchangeWith } = await codeFor(a);
      const own = await exchangeWith(a);
      assert.equal(own.status, 200, own.text);
      const stolen = await exchangeWith(b);
      assert.equal(stolen.status, 400, stolen.text);
      assert.equal(stolen.body.error, 'invalid_grant');
      const refreshed = await refreshWith(a, own.body.refresh_token as string);
      assert.equal(refreshed.status, 200, `the grant survives another client's replay: ${refreshed.text}`);
    });
  }
});

describe('authorization code presented by its own client with a wrong binding', () => {
  test('a wrong redirect_uri or PKCE verifier is refused and leaves the code usable', async () => {
    const other = t.redirectUri();
    const a = await t.createClient({ type: 'public', redirectUris: [t.redirectUri(), other] });
    const { exchangeWith } = await codeFor(a);
    const wrongRedirect = await exchangeWith(a, { redirect_uri: other });
    assert.equal(wrongRedirect.status, 400, wrongRedirect.text);
    assert.equal(wrongRedirect.body.error, 'invalid_grant');
    const wrongVerifier = await exchangeWith(a, { code_verifier: (await pkce()).verifier });
    assert.equal(wrongVerifier.status, 400, wrongVerifier.text);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');
    const own = await exchangeWith(a);
    assert.equal(own.status, 200, `the right exchange still works: ${own.text}`);
  });

  test('a replay without the right verifier revokes nothing; with it, the grant is revoked', async () => {
    const a = await t.createClient({ type: 'public' });
    const { exchangeWith } = await codeFor(a);
    const own = await exchangeWith(a);
    assert.equal(own.status, 200, own.text);
    const guessed = await exchangeWith(a, { code_verifier: (await pkce()).verifier });
    assert.equal(guessed.status, 400, guessed.text);
    assert.equal(guessed.body.error, 'invalid_grant');
    const refreshed = await refreshWith(a, own.body.refresh_token as string);
    assert.equal(refreshed.status, 200, `a replay that proves nothing revokes nothing: ${refreshed.text}`);

    const replay = await exchangeWith(a);
    assert.equal(replay.status, 400, replay.text);
    const after = await refreshWith(a, refreshed.body.refresh_token as string);
    assert.equal(after.status, 400, `a full replay revokes the grant: ${after.text}`);
    assert.equal(after.body.error, 'invalid_grant');
  });
});

describe('refresh token errors leave the token as it was', () => {
  async function tokensOf(c: TestClient) {
    const { exchangeWith } = await codeFor(c);
    const response = await exchangeWith(c);
    assert.equal(response.status, 200, response.text);
    return response.body as { refresh_token: string; scope: string };
  }

  test('too wide a scope is invalid_scope and does not spend the token', async () => {
    const a = await t.createClient();
    const tokens = await tokensOf(a);
    const widened = await refreshWith(a, tokens.refresh_token, { scope: 'openid email profile phone' });
    assert.equal(widened.status, 400, widened.text);
    assert.equal(widened.body.error, 'invalid_scope');
    const again = await refreshWith(a, tokens.refresh_token);
    assert.equal(again.status, 200, `the refresh token still works after invalid_scope: ${again.text}`);
    const next = await refreshWith(a, again.body.refresh_token as string);
    assert.equal(next.status, 200, `the session was not revoked: ${next.text}`);
  });

  test('a narrower scope still works (openid-client)', async () => {
    const a = await t.createClient();
    const { config, exchangeWith } = await codeFor(a);
    const first = await exchangeWith(a);
    const narrowed = await client.refreshTokenGrant(config, first.body.refresh_token as string, {
      scope: 'openid email',
    });
    assert.deepEqual(new Set(narrowed.scope!.split(' ')), new Set(['openid', 'email']));
  });

  for (const type of ['public', 'confidential'] as const) {
    test(`a ${type} client presenting another client's refresh tokens changes nothing`, async () => {
      const { a, b } = await twoClients(type);
      const first = await tokensOf(a);
      const rotated = await refreshWith(a, first.refresh_token);
      assert.equal(rotated.status, 200, rotated.text);
      const current = rotated.body.refresh_token as string;

      const stolenCurrent = await refreshWith(b, current);
      assert.equal(stolenCurrent.status, 400, stolenCurrent.text);
      assert.equal(stolenCurrent.body.error, 'invalid_grant');
      // The spent one, at another client: not this client's token, so not its reuse to punish.
      const stolenOld = await refreshWith(b, first.refresh_token);
      assert.equal(stolenOld.status, 400, stolenOld.text);
      assert.equal(stolenOld.body.error, 'invalid_grant');

      const own = await refreshWith(a, current);
      assert.equal(own.status, 200, `the current token still works for its client: ${own.text}`);
    });
  }

  test('the first-party refresh API presenting a spent OAuth refresh token revokes nothing', async () => {
    const a = await t.createClient();
    const first = await tokensOf(a);
    const rotated = await refreshWith(a, first.refresh_token);
    assert.equal(rotated.status, 200, rotated.text);
    const api = await t.post('/v2/auth/refresh', {
      refresh_token: first.refresh_token,
      tenant_id: 'default',
    });
    assert.equal(api.status >= 400 && api.status < 500, true, JSON.stringify(api.body));
    const own = await refreshWith(a, rotated.body.refresh_token as string);
    assert.equal(own.status, 200, `the OAuth grant survives: ${own.text}`);
  });
});
