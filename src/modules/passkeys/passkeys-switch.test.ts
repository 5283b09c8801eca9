// The tenant's passkeys switch (settings.passkeys, admin API) over real HTTP on a fresh database
// (PostgreSQL or PGlite), and the page after a hosted sign-up that offers a passkey, as a browser without
// JavaScript walks it (the browser test, passkeys-browser.test.ts, adds one). Off: /v2/auth/config says
// so, the sign-in page has no passkey button, scripts or autofill, the API's begin/finish answer 403
// access_denied, the pages 404, the account card adds nothing, a passkey is no second factor, and a
// sign-up goes straight on; the passkeys are kept, and all of it comes back when it is turned on again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import { pageText } from '../../../test/support/account-page.js';
import {
  HttpAgent,
  authRequest,
  callbackOf,
  exchange,
  expectPage,
  isLoginPage,
  startOidcApp,
  type OidcTestApp,
  type Page,
  type TestClient,
} from '../../../test/support/oidc.js';
import { SoftAuthenticator } from '../../../test/support/webauthn.js';

describe('the passkeys switch, and the passkey offer after a sign-up', () => {
  let t: OidcTestApp;
  let admin: Record<string, string>;
  let client: TestClient;
  before(async () => {
    // Default SESSION_RECENT_LOGIN: a client's new account adds a passkey with the token it got.
    t = await startOidcApp({}, { hostname: 'localhost' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
    client = await t.createClient({ firstParty: true });
  });
  after(() => t.close());

  const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
  const setSwitch = async (body: unknown, tenant = 'default') => {
    const answer = await t.app.inject({
      method: 'PUT',
      url: `/v2/admin/tenants/${tenant}/passkeys`,
      headers: admin,
      payload: body as Record<string, unknown>,
    });
    return { status: answer.statusCode, body: answer.json<Record<string, unknown>>() };
  };
  const loginOptions = async () =>
    (await t.post('/v2/auth/webauthn/login/begin', {}))
      .body as unknown as PublicKeyCredentialRequestOptionsJSON;

  /** A client's sign-up (POST /v2/auth/register), then a passkey with the access token it answered. */
  async function signUpWithPasskey() {
    const email = uniqueEmail('switch');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const auth = bearer(registered.body.access_token);
    const begin = await t.post('/v2/auth/webauthn/register/begin', {}, auth);
    assert.equal(begin.status, 200, JSON.stringify(begin.body));
    const authenticator = new SoftAuthenticator(t.base);
    const response = authenticator.register(begin.body as unknown as PublicKeyCredentialCreationOptionsJSON);
    const finish = await t.post('/v2/auth/webauthn/register/finish', { response }, auth);
    assert.equal(finish.status, 201, JSON.stringify(finish.body));
    return {
      email,
      auth,
      authenticator,
      userId: String(decodeJwt(String(registered.body.access_token)).sub),
    };
  }

  test('a client signs up through the API and adds a passkey at once with the token it got', async () => {
    const { authenticator, userId } = await signUpWithPasskey();
    const done = await t.post('/v2/auth/webauthn/login/finish', {
      response: authenticator.assert(await loginOptions()),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(decodeJwt(String(done.body.access_token)).sub, userId);
  });

  test('the admin switch: on by default, validated, audited, per tenant', async () => {
    const read = await t.app.inject({
      method: 'GET',
      url: '/v2/admin/tenants/default/passkeys',
      headers: admin,
    });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(read.json(), { enabled: true });
    for (const bad of [{}, { enabled: 'no' }, { enabled: null }]) {
      const refused = await setSwitch(bad);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error, 'invalid_request');
    }
    assert.equal((await setSwitch({ enabled: false }, 'nope')).status, 404);
    const anonymous = await t.app.inject({ method: 'GET', url: '/v2/admin/tenants/default/passkeys' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(
      ((await t.get('/v2/auth/config')).body.login_methods as Record<string, boolean>).passkey,
      true,
    );
  });

  test('off: no passkey anywhere, a passkey is no second factor; kept, and back when turned on', async () => {
    const { email, auth, authenticator, userId } = await signUpWithPasskey();
    // An authenticator app makes it an MFA account: the passkey is one of its second factors.
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, auth);
    const totp = new TOTP({ secret: Secret.fromBase32(String(enroll.body.secret)), period: 30 });
    assert.equal((await t.post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, auth)).status, 200);
    const factors = async () => (await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).body;
    assert.deepEqual((await factors()).factors, ['totp', 'webauthn', 'recovery_code']);
    const pending = authenticator.assert(await loginOptions());
    // A sign-in whose second step started while passkeys were on (webauthn among its factors).
    const started = await factors();
    const secondAssertion = JSON.stringify(authenticator.assert(await loginOptions()));

    const off = await setSwitch({ enabled: false });
    assert.equal(off.status, 200);
    assert.deepEqual(off.body, { enabled: false });
    const audited = await t.db.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE type = 'passkey.settings_changed' ORDER BY created_at`,
    );
    assert.deepEqual(audited.rows.at(-1)!.data.settings, { enabled: false });
    assert.equal(audited.rows.at(-1)!.data.via, 'admin_api');
    assert.ok(audited.rows.at(-1)!.data.admin_id);

    // /v2/auth/config
    const config = await t.get('/v2/auth/config');
    assert.equal((config.body.login_methods as Record<string, boolean>).passkey, false);

    // The API: begin and finish refuse, said as such (no account is revealed).
    const refusals = [
      await t.post('/v2/auth/webauthn/login/begin', {}),
      await t.post('/v2/auth/webauthn/login/finish', { response: pending }),
      await t.post('/v2/auth/webauthn/register/begin', {}, auth),
      await t.post(
        '/v2/auth/webauthn/register/finish',
        { response: new SoftAuthenticator(t.base).register(await creationOptionsWhileOn()) },
        auth,
      ),
    ];
    for (const refused of refusals) {
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.error, 'access_denied');
      assert.match(String(refused.body.error_description), /Passkeys are not enabled/);
    }
    // The user's passkeys are kept: listed (and deletable) through the account API.
    const list = await t.get('/v2/auth/webauthn/passkeys', auth);
    assert.equal((list.body.passkeys as unknown[]).length, 1);

    // No second factor: the password sign-in offers the app and recovery codes only, and a passkey
    // answer to a challenge naming it is refused.
    const second = await factors();
    assert.deepEqual(second.factors, ['totp', 'recovery_code']);
    const answered = await t.post('/v2/mfa/challenge', {
      mfa_token: second.mfa_token,
      factor: 'webauthn',
      code: JSON.stringify(pending),
    });
    assert.equal(answered.status, 400, JSON.stringify(answered.body));
    const late = await t.post('/v2/mfa/challenge', {
      mfa_token: started.mfa_token,
      factor: 'webauthn',
      code: secondAssertion,
    });
    assert.equal(
      late.status,
      401,
      `a passkey no longer passes a started second step: ${JSON.stringify(late.body)}`,
    );

    // The sign-in page: no button, no scripts, no autofill; the passkey pages do not exist.
    const agent = new HttpAgent();
    const login = expectPage(await agent.walk(`${t.base}/login`), 'the sign-in page', isLoginPage);
    assert.doesNotMatch(login.html, /passkey-sign-in|<script|webauthn/);
    assert.match(login.headers.get('content-security-policy')!, /script-src 'none'/);
    for (const path of ['/login/passkey/options', '/login/passkey']) {
      const page = await agent.request(`${t.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'response=x',
      });
      assert.equal(page.status, 404, path);
    }

    // The account card: the passkey is kept and can be deleted, but nothing is offered.
    const account = await viaSecondStep(email, totp);
    assert.match(pageText(account), /Passkeys are turned off here for now/);
    assert.doesNotMatch(account.html, /id="passkey-add"/);

    // Back on: all of it returns, the same passkey signs in.
    assert.deepEqual((await setSwitch({ enabled: true })).body, { enabled: true });
    assert.equal(
      ((await t.get('/v2/auth/config')).body.login_methods as Record<string, boolean>).passkey,
      true,
    );
    assert.deepEqual((await factors()).factors, ['totp', 'webauthn', 'recovery_code']);
    const back = await t.post('/v2/auth/webauthn/login/finish', {
      response: authenticator.assert(await loginOptions()),
    });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(decodeJwt(String(back.body.access_token)).sub, userId);
    const again = expectPage(await new HttpAgent().walk(`${t.base}/login`), 'the sign-in page', isLoginPage);
    assert.match(again.html, /id="passkey-sign-in"/);
    assert.match(again.html, /autocomplete="username webauthn"/);
  });

  /** Creation options of a user made while passkeys are on (to answer once they are off). */
  async function creationOptionsWhileOn(): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await setSwitch({ enabled: true });
    const registered = await t.post('/v2/auth/register', {
      email: uniqueEmail('late'),
      password: STRONG_PASSWORD,
    });
    const begin = await t.post('/v2/auth/webauthn/register/begin', {}, bearer(registered.body.access_token));
    await setSwitch({ enabled: false });
    return begin.body as unknown as PublicKeyCredentialCreationOptionsJSON;
  }

  /** The account page through the sign-in and its second step (an MFA account). */
  async function viaSecondStep(email: string, totp: TOTP): Promise<Page> {
    const agent = new HttpAgent();
    const login = expectPage(await agent.walk(`${t.base}/account`), 'the sign-in page', isLoginPage);
    const mfa = expectPage(await agent.submit(login, { email, password: STRONG_PASSWORD }), 'the /mfa page');
    // The next period's code: this period's was spent enrolling (a code works once).
    const code = totp.generate({ timestamp: Date.now() + 30_000 });
    const account = expectPage(await agent.submit(mfa, { code }), 'the account page');
    assert.equal(account.url.pathname, '/account', pageText(account));
    return account;
  }

  /** A hosted sign-up inside an authorization, the register form posted; its answer is not followed. */
  async function hostedSignUp(agent: HttpAgent) {
    const rp = await t.rp(client);
    const req = await authRequest(rp, client);
    const login = expectPage(await agent.walk(req.url), 'the sign-in page', isLoginPage);
    const link = /href="(\/register\?interaction=[^"]+)"/.exec(login.html);
    assert.ok(link, 'a link to create an account');
    const register = expectPage(await agent.walk(`${t.base}${link[1]!.replace(/&amp;/g, '&')}`), 'register');
    const email = uniqueEmail('hosted');
    const form = /<form[^>]*action="\/register"[\s\S]*?<\/form>/.exec(register.html)![0];
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form)?.[1] ?? '';
    const body = new URLSearchParams({
      csrf_token: field('csrf_token'),
      interaction: field('interaction'),
      email,
      password: STRONG_PASSWORD,
      name: 'New User',
    });
    const posted = await agent.request(`${t.base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
    return { rp, req, email, posted };
  }

  test('after a hosted sign-up: the passkey offer, and a browser without JavaScript goes straight on', async () => {
    const agent = new HttpAgent();
    const { rp, req, email, posted } = await hostedSignUp(agent);
    assert.equal(posted.status, 303);
    const step = new URL(posted.headers.get('location')!, t.base);
    assert.equal(step.pathname, '/signup/passkey');
    assert.ok(step.searchParams.get('interaction'), 'the authorization in progress rides along');

    const offer = await agent.request(step);
    const html = await offer.text();
    assert.equal(offer.status, 200);
    assert.match(html, /Sign in faster next time/);
    assert.match(html, /<form[^>]*id="passkey-add"[^>]*hidden/, 'the add form waits for the script');
    assert.match(html, /<script src="\/assets\/webauthn\.js" defer>/);
    const csp = offer.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    // Adding one ends in a redirect to the application: the page's forms may lead there.
    assert.ok(csp.includes(`form-action 'self' ${new URL(client.redirectUri).origin}`), csp);
    assert.match(
      html,
      /<noscript><meta http-equiv="refresh" content="0; url=\/signup\/passkey\/continue\?interaction=/,
    );
    assert.match(html, /id="passkey-sign-up-skip" href="\/signup\/passkey\/continue\?interaction=/);

    // Without JavaScript the refresh goes on at once: the authorization ends with a code.
    const claims = (await exchange(rp, req, callbackOf(await agent.walk(step), req.redirectUri))).claims()!;
    assert.equal(claims.email, email);
    assert.deepEqual(claims.amr, ['pwd']);
    // Shown once: the authorization is over, the interaction gone.
    assert.equal((await agent.request(step)).status, 400);
  });

  test('passkeys off: a hosted sign-up goes on as it always did', async () => {
    await setSwitch({ enabled: false });
    try {
      const agent = new HttpAgent();
      const { posted } = await hostedSignUp(agent);
      assert.equal(posted.status, 303);
      const next = new URL(posted.headers.get('location')!, t.base);
      assert.notEqual(next.pathname, '/signup/passkey');
      assert.ok(next.href.startsWith(client.redirectUri), `on to the client: ${next.href}`);
      // And the page itself, opened anyway, only sends the browser on.
      const opened = await agent.request(`${t.base}/signup/passkey`);
      assert.equal(opened.status, 303);
      assert.equal(opened.headers.get('location'), '/login');
    } finally {
      await setSwitch({ enabled: true });
    }
  });
});
