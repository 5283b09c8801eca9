// id_token_hint, at RP-initiated logout (RP-Initiated Logout 1.0 §2) and at the authorization endpoint
// (OIDC Core §3.1.2.1): only an ID token this issuer signed for a client of the tenant is a hint (an access
// token, though signed by the same keys, is not; an expired ID token still is), and a hint for user A never
// yields a code for user B: prompt=none answers login_required, otherwise the login page says who the
// request is for and signing in as someone else does not complete it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  describePage,
  exchange,
  expectPage,
  expectRedirect,
  isLoginPage,
  parseForms,
  signIn,
  sleep,
  startOidcApp,
  type OidcTestApp,
  type Page,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  // Short-lived ID tokens, so a test can hold an expired one.
  t = await startOidcApp({ ID_TOKEN_TTL: '2s' });
});
after(() => t.close());

/** What prompt=none answers for this browser: 'code' with a session, the error otherwise. */
async function sessionOf(agent: HttpAgent, config: client.Configuration, c: TestClient) {
  const req = await authRequest(config, c, { prompt: 'none' });
  const url = expectRedirect(await agent.walk(req.url), c.redirectUri);
  return url.searchParams.has('code') ? 'code' : url.searchParams.get('error');
}

async function setup(options: { firstParty?: boolean } = {}) {
  const c = await t.createClient({ firstParty: options.firstParty ?? true });
  const config = await t.rp(c);
  return { c, config };
}

/** Submits the login form on `page` as `user`. */
function logInAs(agent: HttpAgent, page: Page, user: TestUser) {
  return agent.submit(
    page,
    { email: user.email, password: user.password },
    { form: (f) => f.fields.some((x) => x.name === 'password') },
  );
}

/** The page's text, tags removed. */
const textOf = (page: Page) => page.html.replace(/<[^>]+>/g, '');

const emailField = (page: Page) =>
  parseForms(page)
    .flatMap((f) => f.fields)
    .find((f) => f.name === 'email')?.value;

describe('id_token_hint at RP-initiated logout', () => {
  test('an access token is not an ID token: no silent logout', async () => {
    const { c, config } = await setup();
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, user);
    for (const params of [
      { id_token_hint: tokens.access_token } as Record<string, string>,
      { id_token_hint: tokens.access_token, post_logout_redirect_uri: c.postLogoutRedirectUris[0]! },
    ]) {
      const url = new URL(`${c.issuer}/oauth2/logout`);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const landing = await agent.walk(url);
      const page = expectPage(landing, 'an error page');
      assert.equal(page.status, 400, describePage(landing));
      assert.equal(await sessionOf(agent, config, c), 'code', 'still signed in');
    }
  });

  test('an expired ID token is still a valid hint: logout without confirmation', async () => {
    const { c, config } = await setup();
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, user);
    await sleep(3000);
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: c.postLogoutRedirectUris[0]!,
    });
    expectRedirect(await agent.walk(url), c.postLogoutRedirectUris[0]!);
    assert.equal(await sessionOf(agent, config, c), 'login_required');
  });

  test('an ID token of another client is refused when the request names this client', async () => {
    const { c, config } = await setup();
    const other = await setup();
    const user = await t.createUser();
    const agent = new HttpAgent();
    await signIn(agent, config, c, user);
    const { tokens } = await signIn(agent, other.config, other.c, user);
    const url = new URL(`${c.issuer}/oauth2/logout`);
    url.searchParams.set('id_token_hint', tokens.id_token!);
    url.searchParams.set('client_id', c.clientId);
    const page = expectPage(await agent.walk(url), 'an error page');
    assert.equal(page.status, 400);
    assert.equal(await sessionOf(agent, config, c), 'code');
  });
});

describe('id_token_hint at the authorization endpoint', () => {
  test('hint for A, browser signed in as B, prompt=none: login_required', async () => {
    const { c, config } = await setup();
    const a = await t.createUser();
    const b = await t.createUser();
    const { tokens } = await signIn(new HttpAgent(), config, c, a);
    const agent = new HttpAgent();
    await signIn(agent, config, c, b);
    const req = await authRequest(config, c, { prompt: 'none', id_token_hint: tokens.id_token! });
    const url = expectRedirect(await agent.walk(req.url), c.redirectUri);
    assert.equal(url.searchParams.get('error'), 'login_required');
    assert.equal(url.searchParams.get('code'), null);
  });

  test('hint for A, no session: the login page is for A, and signing in as B issues no code', async () => {
    const { c, config } = await setup();
    const a = await t.createUser();
    const b = await t.createUser();
    const { tokens } = await signIn(new HttpAgent(), config, c, a);
    const agent = new HttpAgent();
    const req = await authRequest(config, c, { id_token_hint: tokens.id_token! });
    const login = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
    assert.equal(emailField(login), a.email, 'the email field is pre-filled with the hint’s user');
    assert.ok(textOf(login).includes(`Sign in as ${a.email}`), describePage({ kind: 'page', page: login }));

    const wrong = await logInAs(agent, login, b);
    const again = expectPage(wrong, 'the login page again, not a code for B', isLoginPage);
    assert.ok(again.html.includes(b.email), `says who is signed in: ${describePage(wrong)}`);
    assert.ok(textOf(again).includes(`Sign in as ${a.email}`));

    const right = await logInAs(agent, again, a);
    const callback = expectRedirect(right, c.redirectUri);
    const tokensA = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
      idTokenExpected: true,
    });
    assert.equal(tokensA.claims()?.sub, tokens.claims()?.sub, 'the code is for A');
  });

  test('hint for A, browser signed in as B: sign in again as A; B gets no code', async () => {
    const { c, config } = await setup();
    const a = await t.createUser();
    const b = await t.createUser();
    const { tokens } = await signIn(new HttpAgent(), config, c, a);
    const agent = new HttpAgent();
    await signIn(agent, config, c, b);
    const req = await authRequest(config, c, { id_token_hint: tokens.id_token! });
    const login = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
    assert.ok(textOf(login).includes(`Sign in as ${a.email}`));
    assert.ok(login.html.includes(b.email), 'it says who is signed in now');
    const wrong = await logInAs(agent, login, b);
    expectPage(wrong, 'no code for B', isLoginPage);
  });

  test("a third-party client's hint without the email claim shows the email masked", async () => {
    const { c, config } = await setup({ firstParty: false });
    const a = await t.createUser();
    const agent = new HttpAgent();
    const first = await authRequest(config, c, { scope: 'openid' });
    const landing = await authorize(agent, first.url, a, { consent: 'allow' });
    const tokens = await exchange(config, first, callbackOf(landing, first.redirectUri));
    assert.equal(tokens.claims()?.email, undefined);
    const req = await authRequest(config, c, { scope: 'openid', id_token_hint: tokens.id_token! });
    const login = expectPage(await new HttpAgent().walk(req.url), 'the login page', isLoginPage);
    assert.ok(!login.html.includes(a.email), 'the full email is not disclosed to a client without it');
    const [local, domain] = a.email.split('@') as [string, string];
    assert.ok(textOf(login).includes(`Sign in as ${local[0]}…@${domain}`));
    assert.equal(emailField(login), '', 'not pre-filled');
  });
});
