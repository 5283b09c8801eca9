// Signing in to the console in Chromium: a fresh installation shows how to create the first admin; an
// operator signs in through the hosted login of the operators' tenant, with their second factor when they
// have one; an account without the admin role is told so (and the API refused it); signing out ends the
// session at the provider, so the tokens the console held stop working.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, sharedBrowser, unlessChromium } from '../support/browser.js';
import { bearer, enrolTotp, totpCode } from '../support/mfa.js';
import { startOidcApp, type OidcTestApp } from '../support/oidc.js';
import {
  assertAccessible,
  consoleScreenshot,
  operatorAccounts,
  signInThroughConsole,
  unlessConsoleBuilt,
} from './harness.js';

const PASSWORD = 'Console-Sign-In-2026-xyz!';

describe('console: first run and signing in', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let t: OidcTestApp;
  const browser = sharedBrowser();
  before(async () => {
    t = await startOidcApp({ RATE_LIMIT_PER_IP: '100000' });
  });
  after(async () => {
    await browser.close();
    await t.close();
  });
  const page = async (width = 1280) =>
    (await (await browser.get()).newContext({ viewport: { width, height: 900 } })).newPage();

  test('a fresh installation says how to create the first administrator', async () => {
    for (const width of [390, 1280]) {
      const p = await page(width);
      await p.goto(`${t.base}/admin/`);
      await p.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
      assert.match(await p.locator('body').innerText(), /hellojohn admin create you@example\.com --console/);
      await assertAccessible(p, `first run at ${width}px`);
      await consoleScreenshot(p, 'first-run');
      await p.context().close();
    }
  });

  test('an operator signs in through the hosted login, with their authenticator app', async () => {
    await operatorAccounts(t).create('ops@example.com', PASSWORD);
    // The operator sets up an authenticator app on their account (the operators' tenant's account API).
    const login = await t.post('/t/admin/v2/auth/login', { email: 'ops@example.com', password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const { secret } = await enrolTotp(t, bearer(login.body.access_token), '/t/admin/v2/auth/mfa/totp');

    const p = await page();
    await p.goto(`${t.base}/admin/t/default/users`);
    await p.waitForURL((url) => url.pathname === '/t/admin/login');
    await screenshot(p, 'console-sign-in-1280');
    await p.fill('input[name="email"]', 'ops@example.com');
    await p.fill('input[name="password"]', PASSWORD);
    await p.click('form:has(input[name="password"]) button[type="submit"]');
    // The second step, then back to the screen first asked for.
    await p.getByLabel('The code from your authenticator app').fill(totpCode(secret, 1));
    await p.getByRole('button', { name: 'Continue' }).click();
    await p.waitForURL(`${t.base}/admin/t/default/users`);
    await p.getByRole('heading', { name: 'Users' }).waitFor();
    await p.getByRole('button', { name: /ops@example\.com account menu/ }).waitFor();

    // Signing out ends the session at the provider: the token the console held is refused.
    const held = await p.evaluate(() => sessionStorage.getItem('hellojohn.console.tokens'));
    const token = (JSON.parse(held!) as { accessToken: string }).accessToken;
    assert.equal((await t.get('/v2/admin/me', bearer(token))).status, 200);
    await p.getByRole('button', { name: /account menu/ }).click();
    await p.getByRole('menuitem', { name: 'Sign out' }).click();
    await p.waitForURL((url) => !url.pathname.startsWith('/admin/t/'));
    const confirm = p.getByRole('button', { name: /sign out|log out|yes/i });
    if (await confirm.count()) await confirm.first().click();
    await p.waitForLoadState('load');
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) {
      status = (await t.get('/v2/admin/me', bearer(token))).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 401, 'the console token stops working once its session ends');
    await p.context().close();
  });

  test('an account of the operators’ tenant without the admin role is told so; the API refused it', async () => {
    await operatorAccounts(t).create('ops2@example.com', PASSWORD);
    const apiKey = (await t.app.services.admins.create('root@example.com')).token;
    const made = await t.post(
      '/v2/admin/tenants/admin/users',
      { email: 'viewer@example.com', password: PASSWORD, email_verified: true },
      bearer(apiKey),
    );
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const p = await page();
    const refused = p.waitForResponse((r) => new URL(r.url()).pathname === '/v2/admin/me');
    await signInThroughConsole(p, t.base, { email: 'viewer@example.com', password: PASSWORD });
    assert.equal((await refused).status(), 403);
    await p.getByRole('heading', { name: 'This account is not an administrator' }).waitFor();
    await assertAccessible(p, 'not an administrator');
    await consoleScreenshot(p, 'not-admin');
    await p.context().close();
  });
});
