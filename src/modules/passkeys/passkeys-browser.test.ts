// Passkeys in Chromium with the DevTools virtual authenticator (CTAP2, internal, resident keys, user
// verification), over real HTTP, inside OpenID Connect authorizations with openid-client as the relying
// party: add a passkey on /account, sign in with the button and with autofill (conditional UI: headless
// Chromium's virtual authenticator answers a conditional request by itself, so the page signs in with no
// click at all), a copied authenticator whose counter is behind (refused, audited), and a passkey as the
// second step on /mfa, and the offer after a sign-up (add one, or not now). Screenshots of the sign-in
// page, the account card and the offer at 390 and 1280 px.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import {
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../../../test/support/browser.js';
import {
  authRequest,
  exchange,
  startOidcApp,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../../../test/support/oidc.js';
import { ACR_MULTI_FACTOR } from '../../oauth/acr.js';

/** What the DevTools protocol says of a credential (WebAuthn.getCredentials / addCredential). */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

describe('passkeys in Chromium', { skip: unlessChromium() }, () => {
  let t: OidcTestApp;
  let callbacks: CallbackServer;
  let client: TestClient;
  let user: TestUser;
  const browser = sharedBrowser();
  /** The passkey as the first authenticator made it, before any use (to copy it, counter and all). */
  let fresh: VirtualCredential;

  before(async () => {
    t = await startOidcApp({}, { hostname: 'localhost' });
    callbacks = await startCallbackServer();
    client = await t.createClient({ redirectUris: [callbacks.uri()], firstParty: true });
    user = await t.createUser('default', 'Ada Lovelace');
  });
  after(async () => {
    await browser.close();
    await callbacks.close();
    await t.close();
  });

  /** A page with a virtual authenticator; `autofill: false` makes the browser one without conditional UI. */
  async function browserWith(options: { autofill: boolean; credential?: VirtualCredential }) {
    const context = await (await browser.get()).newContext({ viewport: { width: 1280, height: 900 } });
    if (!options.autofill)
      await context.addInitScript({
        content: 'PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);',
      });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    if (options.credential)
      await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: options.credential });
    const credentials = async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[];
    return { context, page, cdp, credentials };
  }

  /** Starts an authorization at the sign-in page; `done` waits for the callback and exchanges the code. */
  async function authorize(page: Page) {
    const rp = await t.rp(client);
    const req = await authRequest(rp, client);
    await page.goto(req.url.href);
    return {
      done: async () => {
        await page.waitForURL((u) => `${u.origin}${u.pathname}` === req.redirectUri, { timeout: 15_000 });
        const got = callbacks.last(req.redirectUri)!;
        return (await exchange(rp, req, got.url)).claims()!;
      },
    };
  }

  async function passwordSignIn(page: Page) {
    await page.fill('input[name="email"]', user.email);
    await page.fill('input[name="password"]', user.password);
    await page.click('form[action="/login"] button[type="submit"]');
  }

  const closeAll: BrowserContext[] = [];
  after(async () => {
    for (const c of closeAll) await c.close();
  });
  let first: { page: Page; cdp: CDPSession; credentials: () => Promise<VirtualCredential[]> };

  test('add a passkey on the account page; sign in with the button inside an authorization', async () => {
    const { context, page, cdp, credentials } = await browserWith({ autofill: false });
    closeAll.push(context);
    first = { page, cdp, credentials };
    await page.goto(`${t.base}/account`);
    await passwordSignIn(page);
    await page.waitForURL((u) => u.pathname === '/account');
    await page.locator('#passkey-add').waitFor();
    assert.equal(await page.locator('#passkey-add-unsupported').isVisible(), false);
    await page.fill('#passkey-name', 'MacBook Air');
    await page.click('#passkey-add button[type="submit"]');
    await page.waitForURL((u) => u.search === '?notice=passkey_added');
    const card = page.locator('#passkeys');
    assert.match(await card.innerText(), /MacBook Air[\s\S]*Added just now · Not used yet/);
    assert.match(await page.locator('[role="status"]').innerText(), /Your passkey is added/);
    const made = await credentials();
    assert.equal(made.length, 1);
    assert.equal(made[0]!.isResidentCredential, true, 'a discoverable credential');
    assert.equal(made[0]!.rpId, 'localhost', 'the RP ID of the issuer');
    fresh = made[0]!;
    await card.screenshot({ path: await screenshot(page, 'passkeys-account-1280') });
    await page.setViewportSize({ width: 390, height: 844 });
    await card.screenshot({ path: await screenshot(page, 'passkeys-account-390') });

    // Signed out, an application sends the user to sign in: one click on the passkey button.
    await page.context().clearCookies();
    await page.setViewportSize({ width: 1280, height: 900 });
    const flow = await authorize(page);
    const button = page.locator('#passkey-sign-in button');
    await button.waitFor();
    assert.equal(await page.getAttribute('#email', 'autocomplete'), 'username webauthn');
    await screenshot(page, 'passkeys-login-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'passkeys-login-390');
    await button.click();
    const claims = await flow.done();
    assert.equal(claims.email, user.email);
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    assert.equal(claims.acr, ACR_MULTI_FACTOR, 'a verified passkey is multi-factor');
  });

  test('a passkey as the second step on /mfa', async () => {
    // An authenticator app makes the account an MFA account.
    const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const auth = { authorization: `Bearer ${String(login.body.access_token)}` };
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, auth);
    const totp = new TOTP({ secret: Secret.fromBase32(String(enroll.body.secret)), period: 30 });
    assert.equal((await t.post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, auth)).status, 200);

    const { page } = first;
    await page.context().clearCookies();
    await page.setViewportSize({ width: 1280, height: 900 });
    const flow = await authorize(page);
    await passwordSignIn(page);
    await page.waitForURL((u) => u.pathname === '/mfa' || u.pathname === '/login');
    await page.getByRole('button', { name: 'Passkey' }).click();
    const use = page.locator('#factor-webauthn button[type="submit"]');
    await use.waitFor();
    assert.equal(await use.innerText(), 'Use your passkey');
    await screenshot(page, 'passkeys-mfa-1280');
    await use.click();
    const claims = await flow.done();
    assert.deepEqual(claims.amr, ['pwd', 'hwk', 'mfa']);
  });
  test('autofill: the conditional request signs in with no click', async () => {
    // The same passkey on a second device (a synced copy), in a browser with conditional UI.
    const [current] = await first.credentials();
    const { context, page } = await browserWith({ autofill: true, credential: current! });
    closeAll.push(context);
    const flow = await authorize(page);
    const claims = await flow.done();
    assert.equal(claims.email, user.email);
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    const used = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'passkey.used'`,
    );
    assert.equal(used.rows[0]!.n, 3, 'the button, the second step, autofill');
  });

  test('a copy of the authenticator with its counter behind is refused and audited', async () => {
    const { context, page } = await browserWith({ autofill: false, credential: fresh });
    closeAll.push(context);
    await authorize(page);
    await page.locator('#passkey-sign-in button').click();
    await page.locator('[role="alert"]').waitFor();
    assert.match(await page.locator('[role="alert"]').innerText(), /could not be verified/);
    assert.ok(new URL(page.url()).pathname.startsWith('/login'));
    const clones = await t.db.query(`SELECT 1 FROM audit_events WHERE type = 'passkey.clone_suspected'`);
    assert.equal(clones.rowCount, 1);
  });

  /** Creates an account on the hosted pages inside an authorization; answers the flow and the email. */
  async function signUpInAuthorization(page: Page) {
    const flow = await authorize(page);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL((u) => u.pathname === '/register');
    const email = `new.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
    await page.fill('#name', 'Grace Hopper');
    await page.fill('#email', email);
    await page.fill('#password', 'Correct-Horse-Battery-Staple-42');
    await page.click('form[action="/register"] button[type="submit"]');
    await page.waitForURL((u) => u.pathname === '/signup/passkey');
    return { flow, email };
  }

  test('after a sign-up inside an authorization: "Add a passkey", then on to the application', async () => {
    const { context, page, credentials } = await browserWith({ autofill: false });
    closeAll.push(context);
    const { flow, email } = await signUpInAuthorization(page);
    const add = page.locator('#passkey-add button[type="submit"]');
    await add.waitFor();
    assert.equal(await add.innerText(), 'Add a passkey');
    assert.equal(await page.locator('h1').innerText(), 'Sign in faster next time');
    await screenshot(page, 'passkeys-sign-up-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'passkeys-sign-up-390');
    await add.click();
    const claims = await flow.done();
    assert.equal(claims.email, email);
    assert.deepEqual(claims.amr, ['pwd'], 'signed in by the sign-up, not by the new passkey');
    const made = await credentials();
    assert.equal(made.length, 1);
    assert.equal(made[0]!.isResidentCredential, true);
    const added = await t.db.query<{ data: { via: string } }>(
      `SELECT e.data FROM audit_events e JOIN users u ON u.id = e.user_id
        WHERE e.type = 'passkey.registered' AND u.email = $1`,
      [email],
    );
    assert.deepEqual(
      added.rows.map((r) => r.data.via),
      ['sign_up'],
    );

    // The new passkey signs in at once (the button), in a new authorization.
    await page.context().clearCookies();
    const again = await authorize(page);
    await page.locator('#passkey-sign-in button').click();
    assert.equal((await again.done()).email, email);
  });

  test('after a sign-up: "Not now" goes on to the application; no passkey is made', async () => {
    const { context, page, credentials } = await browserWith({ autofill: false });
    closeAll.push(context);
    const { flow, email } = await signUpInAuthorization(page);
    await page.locator('#passkey-add').waitFor();
    await page.getByRole('link', { name: 'Not now' }).click();
    const claims = await flow.done();
    assert.equal(claims.email, email);
    assert.equal((await credentials()).length, 0);
  });

  test('after a sign-up, a browser without passkeys or without JavaScript goes straight on', async () => {
    const context = await (await browser.get()).newContext({ viewport: { width: 1280, height: 900 } });
    closeAll.push(context);
    // No WebAuthn at all (an old browser): the script sends it on without showing the page's offer.
    await context.addInitScript({ content: 'delete window.PublicKeyCredential;' });
    const page = await context.newPage();
    const flow = await authorize(page);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.fill('#email', `old.${Date.now()}@example.com`);
    await page.fill('#password', 'Correct-Horse-Battery-Staple-42');
    await page.click('form[action="/register"] button[type="submit"]');
    assert.ok((await flow.done()).email);

    // Nor does one without JavaScript: the page's refresh sends it on.
    const noScript = await (await browser.get()).newContext({ javaScriptEnabled: false });
    closeAll.push(noScript);
    const plain = await noScript.newPage();
    const plainFlow = await authorize(plain);
    await plain.getByRole('link', { name: 'Create an account' }).click();
    await plain.fill('#email', `plain.${Date.now()}@example.com`);
    await plain.fill('#password', 'Correct-Horse-Battery-Staple-42');
    await plain.click('form[action="/register"] button[type="submit"]');
    assert.ok((await plainFlow.done()).email);
  });
});
