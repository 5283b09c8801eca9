// Social sign-in in Chromium: the sign-in page with every provider's button (screenshots at 390 and 1280
// px), a full Google sign-in inside an authorization of ours with openid-client as the relying party, and
// Apple's form_post from another site (the provider on `localhost`, we on 127.0.0.1: a cross-site POST that
// carries no SameSite=Lax cookie, relayed to a GET that does).
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportPKCS8, generateKeyPair } from 'jose';
import {
  SCREENSHOT_DIR,
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../../../test/support/browser.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import {
  authRequest,
  exchange,
  startOidcApp,
  type OidcTestApp,
  type TestClient,
} from '../../../test/support/oidc.js';
import { startOidcProvider, type LocalOidcProvider } from '../../../test/support/social-providers.js';

const skip = unlessChromium();
const browser = sharedBrowser();
let t: OidcTestApp;
let google: LocalOidcProvider;
let apple: LocalOidcProvider;
let callbacks: CallbackServer;
let rp: TestClient;

before(async () => {
  if (skip) return;
  const appleKeys = await generateKeyPair('ES256', { extractable: true });
  google = await startOidcProvider({});
  apple = await startOidcProvider({
    jwtClientSecret: { publicKey: appleKeys.publicKey, teamId: 'TEAM123456' },
    host: 'localhost',
  });
  t = await startOidcApp({ SOCIAL_GOOGLE_URL: google.issuer, SOCIAL_APPLE_URL: apple.issuer });
  google.register([`${t.base}/v2/auth/social/google/callback`]);
  apple.register([`${t.base}/v2/auth/social/apple/callback`]);
  callbacks = await startCallbackServer();
  rp = await t.createClient({ firstParty: true, redirectUris: [callbacks.uri('rp')] });
  const admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  const put = async (id: string, body: Record<string, unknown>) => {
    const r = await fetch(`${t.base}/v2/admin/tenants/default/social-providers/${id}`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.text());
  };
  // Every provider, for the page; Google and Apple are the local ones.
  await put('google', { client_id: google.clientId, client_secret: google.clientSecret });
  await put('apple', {
    client_id: apple.clientId,
    client_secret: await exportPKCS8(appleKeys.privateKey),
    options: { team_id: 'TEAM123456', key_id: 'KEY1234567' },
  });
  for (const id of ['microsoft', 'github', 'facebook', 'linkedin', 'discord', 'gitlab'])
    await put(id, { client_id: `${id}-client`, client_secret: 'unused' });
});

after(async () => {
  await browser.close();
  await callbacks?.close();
  await t?.close();
  await google?.close();
  await apple?.close();
});

describe('social sign-in in a browser', { skip }, () => {
  test('every method on: the sign-in page with providers, a passkey, password, and email links (390 and 1280 px)', async () => {
    const admin = {
      authorization: `Bearer ${(await t.app.services.admins.create('all@example.com')).token}`,
    };
    const on = await fetch(`${t.base}/v2/admin/tenants/default/email-sign-in`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ magic_link: true, email_otp: true }),
    });
    assert.equal(on.status, 200, await on.text());
    const context = await (await browser.get()).newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${t.base}/login`);
      // The passkey button shows once its script found WebAuthn in this browser.
      await page.locator('#passkey-sign-in').waitFor({ state: 'visible' });
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        await screenshot(page, `login-all-methods-${width}`);
      }
      const labels = await page.locator('.ways .alt').allInnerTexts();
      assert.deepEqual(
        labels.map((l) => l.trim()),
        [
          'Sign in with a passkey',
          'Google',
          'Apple',
          'Microsoft',
          'GitHub',
          'Facebook',
          'LinkedIn',
          'Discord',
          'GitLab',
        ],
      );
      const links = await page.locator('p.links.row a').allInnerTexts();
      assert.deepEqual(links, [
        'Forgot your password?',
        'Email me a sign-in link',
        'Sign in with a code',
        'Create an account',
      ]);
    } finally {
      await context.close();
      const off = await fetch(`${t.base}/v2/admin/tenants/default/email-sign-in`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ magic_link: false, email_otp: false }),
      });
      assert.equal(off.status, 200);
    }
  });

  test('the sign-in page shows every provider; Google signs a new user in and the authorization goes on', async () => {
    const context = await (await browser.get()).newContext();
    const page = await context.newPage();
    const config = await t.rp(rp);
    const request = await authRequest(config, rp);
    await page.goto(request.url.href);
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await screenshot(page, `social-login-${width}`);
    }
    const labels = await page.locator('a.button.alt').allInnerTexts();
    assert.deepEqual(
      labels.map((l) => l.trim()),
      ['Google', 'Apple', 'Microsoft', 'GitHub', 'Facebook', 'LinkedIn', 'Discord', 'GitLab'],
    );

    const email = uniqueEmail('chromium');
    google.signIn({
      sub: `g-${randomBytes(4).toString('hex')}`,
      email,
      email_verified: true,
      name: 'Ana Lima',
    });
    await page.click('a.button.alt:has-text("Google")');
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    const tokens = await exchange(config, request, new URL(page.url()));
    assert.equal(tokens.claims()!.email, email);
    assert.deepEqual(tokens.claims()!.amr, ['fed']);
    await context.close();
  });

  test('Apple posts its answer from another site: relayed, and the browser binding still holds', async () => {
    const context = await (await browser.get()).newContext();
    const page = await context.newPage();
    const config = await t.rp(rp);
    const request = await authRequest(config, rp);
    await page.goto(request.url.href);
    const email = uniqueEmail('apple');
    apple.signIn({ sub: `a-${randomBytes(4).toString('hex')}`, email, email_verified: 'true' });
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/v2/auth/social/apple/callback'))
        posts.push(r.headers().cookie ?? '');
    });
    await page.click('a.button.alt:has-text("Apple")');
    await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
    assert.equal(posts.length, 1, 'the answer was posted to our callback');
    assert.doesNotMatch(posts[0]!, /hj_social=/, 'a cross-site POST carries no Lax cookie');
    const tokens = await exchange(config, request, new URL(page.url()));
    assert.equal(tokens.claims()!.email, email);
    await context.close();
  });

  test('a Google sign-up lands on the account page and sets a password there (390 px)', async () => {
    const context = await (
      await browser.get()
    ).newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 900 } });
    try {
      const page = await context.newPage();
      const email = uniqueEmail('set-password');
      google.signIn({
        sub: `g-${randomBytes(4).toString('hex')}`,
        email,
        email_verified: true,
        name: 'Ana Lima',
      });
      await page.goto(`${t.base}/account`);
      await page.click('a.button.alt:has-text("Google")');
      await page.waitForURL((u) => u.pathname === '/account');
      const card = page.locator('#password');
      assert.equal(await card.locator('h2').innerText(), 'Set a password');
      assert.equal(await card.locator('input[name="current_password"]').count(), 0, 'no current password');
      // The card alone: the page is long (every module's card).
      await card.screenshot({ path: path.join(SCREENSHOT_DIR, 'account-set-password-390.png') });

      await page.fill('#new_password', STRONG_PASSWORD);
      await page.fill('#confirm', STRONG_PASSWORD);
      await page.click('#password button[type="submit"]');
      await page.waitForURL((u) => u.search === '?notice=password_set');
      assert.match(await page.locator('[role="status"]').innerText(), /Your password is set/);
      assert.equal(await page.locator('#password h2').innerText(), 'Password');
      assert.equal(await page.locator('#current_password').count(), 1, 'now it changes the password');
    } finally {
      await context.close();
    }
  });
});
