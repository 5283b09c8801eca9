// Redirect URI comparison, for redirect_uri (authorization and token endpoints) and post_logout_redirect_uri:
// exact string matching (RFC 9700 §4.1.3), with the one equivalence RFC 3986 §6.2.3 gives http(s) URIs
// that libraries produce on their own: an empty path is the path "/" (`https://app.example` is
// `https://app.example/`). Every other difference still fails: case in the path, a trailing slash on a
// non-empty path, the query, an explicit default port, scheme or host case, percent-encoding, dot segments.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type * as client from 'openid-client';
import {
  HttpAgent,
  RP_HOST,
  authorize,
  authRequest,
  describePage,
  expectPage,
  expectRedirect,
  signIn,
  startOidcApp,
  tokenRequest,
  type OidcTestApp,
  type TestClient,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(() => t.close());

const ROOT = RP_HOST; // http://127.0.0.1:9, no path
const ROOT_SLASH = `${RP_HOST}/`;

/** Where the browser ends up for an authorization request to `redirectUri` (already signed in). */
async function authorizeTo(
  agent: HttpAgent,
  config: client.Configuration,
  c: TestClient,
  redirectUri: string,
) {
  const req = await authRequest(config, c, { redirect_uri: redirectUri });
  return { req, landing: await agent.walk(req.url) };
}

async function exchangeCode(c: TestClient, code: string, redirectUri: string, verifier: string) {
  return tokenRequest(c, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
}

describe('redirect_uri: the empty path is "/"', () => {
  for (const [registered, presented, atToken] of [
    [ROOT, ROOT_SLASH, ROOT_SLASH],
    [ROOT_SLASH, ROOT, ROOT],
    [ROOT, ROOT_SLASH, ROOT],
    [`${ROOT}?app=1`, `${ROOT_SLASH}?app=1`, `${ROOT}?app=1`],
  ] as const) {
    test(`registered ${registered}, sent ${presented}, token request with ${atToken}`, async () => {
      const c = await t.createClient({ firstParty: true, redirectUris: [registered] });
      const config = await t.rp(c);
      const user = await t.createUser();
      const req = await authRequest(config, c, { redirect_uri: presented });
      const landing = await authorize(new HttpAgent(), req.url, user);
      assert.equal(landing.kind, 'redirect', describePage(landing));
      const callback = (landing as { url: URL }).url;
      assert.equal(callback.origin, RP_HOST);
      const code = callback.searchParams.get('code');
      assert.ok(code, callback.href);
      const r = await exchangeCode(c, code, atToken, req.verifier);
      assert.equal(r.status, 200, r.text);
      assert.ok(r.body.id_token);
    });
  }
});

describe('redirect_uri: every other difference fails', () => {
  const registered = `${RP_HOST}/cb`;
  const variants = [
    `${RP_HOST}/cb/`, // trailing slash on a non-empty path
    `${RP_HOST}/CB`, // path case
    `${RP_HOST}/cb?x=1`, // query added
    `${RP_HOST}/cb?`, // empty query
    `${RP_HOST}/%63b`, // percent-encoded unreserved character
    `${RP_HOST}/./cb`, // dot segment
    `HTTP://127.0.0.1:9/cb`, // scheme case
    `http://127.0.0.1:09/cb`, // port spelled differently
    `http://127.0.0.1/cb`, // port dropped
    `${RP_HOST}/cb#`, // empty fragment
    `${RP_HOST}`, // the root, for a URI with a path
  ];
  test('at the authorization endpoint: an error page, never a redirect', async () => {
    const c = await t.createClient({ firstParty: true, redirectUris: [registered] });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    await signIn(agent, config, c, await t.createUser());
    for (const uri of variants) {
      const { landing } = await authorizeTo(agent, config, c, uri);
      const page = expectPage(landing, `an error page for ${uri}`);
      assert.equal(page.status, 400, `${uri}: ${describePage(landing)}`);
    }
  });

  test('an explicit default port is a different string, and fails too', async () => {
    const c = await t.createClient({ firstParty: true, redirectUris: ['https://app.example/cb'] });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    for (const uri of ['https://app.example:443/cb', 'https://APP.example/cb', 'https://app.example./cb']) {
      const { landing } = await authorizeTo(agent, config, c, uri);
      assert.equal(expectPage(landing, `an error page for ${uri}`).status, 400, uri);
    }
  });

  test('at the token endpoint: a redirect_uri other than the equivalent one is invalid_grant', async () => {
    const c = await t.createClient({ firstParty: true, redirectUris: [registered, ROOT] });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    await signIn(agent, config, c, await t.createUser());
    for (const other of [registered, `${ROOT_SLASH}x`, `${ROOT_SLASH}?`, 'HTTP://127.0.0.1:9/']) {
      const { req, landing } = await authorizeTo(agent, config, c, ROOT);
      const code = expectRedirect(landing, ROOT_SLASH).searchParams.get('code')!;
      const r = await exchangeCode(c, code, other, req.verifier);
      assert.equal(r.status, 400, `${other}: ${r.text}`);
      assert.equal(r.body.error, 'invalid_grant');
    }
  });
});

describe('post_logout_redirect_uri: the same comparison', () => {
  async function logoutTo(registered: string, presented: string) {
    const c = await t.createClient({ firstParty: true, postLogoutRedirectUris: [registered] });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, await t.createUser());
    const url = new URL(`${c.issuer}/oauth2/logout`);
    url.searchParams.set('id_token_hint', tokens.id_token!);
    url.searchParams.set('post_logout_redirect_uri', presented);
    url.searchParams.set('state', 'bye');
    return agent.walk(url);
  }

  test('the empty path and "/" are the same, both ways', async () => {
    for (const [registered, presented] of [
      [ROOT, ROOT_SLASH],
      [ROOT_SLASH, ROOT],
    ]) {
      const landing = await logoutTo(registered!, presented!);
      const back = expectRedirect(landing, ROOT_SLASH);
      assert.equal(back.searchParams.get('state'), 'bye');
    }
  });

  test('every other difference gets no redirect', async () => {
    for (const presented of [`${RP_HOST}/bye/`, `${RP_HOST}/BYE`, `${RP_HOST}/bye?x=1`, ROOT_SLASH]) {
      const landing = await logoutTo(`${RP_HOST}/bye`, presented);
      assert.ok(landing.kind === 'page', `${presented}: ${describePage(landing)}`);
    }
  });
});
