// The first-party account API (`/v2/me`, `/v2/auth/sessions`, logout) and OAuth clients' access tokens:
// a token a third-party application got through consent is limited to its scopes and its own endpoints
// (UserInfo), so it must not list, end or read the user's sessions; a first-party client's token may.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  exchange,
  startOidcApp,
  userinfo,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(async () => {
  await t?.close();
});

/** Signs the user in through the hosted pages and returns the client's access token. */
async function oauthAccessToken(c: TestClient, user: TestUser): Promise<string> {
  const config = await t.rp(c);
  const req = await authRequest(config, c);
  const callback = callbackOf(
    await authorize(new HttpAgent(), req.url, user, { consent: 'allow' }),
    req.redirectUri,
  );
  return (await exchange(config, req, callback)).access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('OAuth access tokens on the first-party account API', () => {
  test("a third-party client's token is refused with 403 insufficient_scope, and ends nothing", async () => {
    const c = await t.createClient();
    const user = await t.createUser();
    const token = await oauthAccessToken(c, user);
    // The user's own first-party session, which the third party must not be able to see or end.
    const own = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    assert.equal(own.status, 200);
    const ownToken = String(own.body.access_token);

    for (const [method, path, body] of [
      ['GET', '/v2/me', undefined],
      ['GET', '/v2/auth/sessions', undefined],
      ['POST', '/v2/auth/logout', { all: true }],
      ['POST', '/v2/auth/verify-email/send', {}],
    ] as const) {
      const r = method === 'GET' ? await t.get(path, bearer(token)) : await t.post(path, body, bearer(token));
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'insufficient_scope', `${method} ${path}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    }

    // Nothing was ended: the user's own token still works and still sees its sessions.
    const sessions = await t.get('/v2/auth/sessions', bearer(ownToken));
    assert.equal(sessions.status, 200);
    assert.ok((sessions.body.sessions as unknown[]).length >= 2, 'both sessions are still live');
    // The client's token still does what it was issued for.
    assert.equal((await userinfo(c.issuer, token)).status, 200);
  });

  test("a first-party client's token opens the account API", async () => {
    const c = await t.createClient({ firstParty: true });
    const user = await t.createUser();
    const token = await oauthAccessToken(c, user);
    const me = await t.get('/v2/me', bearer(token));
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.email, user.email);
    assert.equal((await t.get('/v2/auth/sessions', bearer(token))).status, 200);
  });
});
