// Signing in to the console in Chromium: a fresh local install creates its first admin on the first-run
// page (the API's rule checked too); an operator signs in through the hosted login of the operators' tenant, with their second factor when they
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

  test('a fresh local install creates its first administrator on the first-run page, then signs in', async () => {
    for (const width of [390, 1280]) {
      const p = await page(width);
      await p.goto(`${t.base}/admin/`);
      await p.getByRole('heading', { name: 'Create the first administrator' }).waitFor();
      await p.getByRole('button', { name: 'Create and sign in' }).waitFor();
      await assertAccessible(p, `first run at ${width}px`);
      await consoleScreenshot(p, 'first-run');
      await p.context().close();
    }
    // The rule, through the API: JSON from this machine only, not through a proxy, not from another site.
    const register = (headers: Record<string, string>, body: string) =>
      fetch(`${t.base}/v2/admin/register`, { method: 'POST', headers, body }).then((r) => r.status);
    const json = JSON.stringify({ email: 'first@example.com', password: PASSWORD });
    assert.equal(
      await register(
        { 'content-type': 'application/x-www-form-urlencoded' },
        'email=first%40example.com&password=x',
      ),
      415,
    );
    assert.equal(
      await register({ 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' }, json),
      403,
    );
    assert.equal(
      await register({ 'content-type': 'application/json', origin: 'https://evil.example' }, json),
      403,
    );

    const p = await page();
    await p.goto(`${t.base}/admin/`);
    await p.getByRole('textbox', { name: /^Email/ }).fill('first@example.com');
    await p.getByLabel(/^Password/).fill(PASSWORD);
    await p.getByLabel(/^Repeat the password/).fill(PASSWORD);
    await p.getByRole('button', { name: 'Create and sign in' }).click();
    // Made: the normal sign-in follows, through the hosted login.
    await p.waitForURL((url) => url.pathname === '/t/admin/login');
    await p.fill('input[name="email"]', 'first@example.com');
    await p.fill('input[name="password"]', PASSWORD);
    await p.click('form:has(input[name="password"]) button[type="submit"]');
    await p.getByRole('heading', { name: 'Overview' }).waitFor();
    await p.context().close();
    // Only the first: from now on the page is closed.
    assert.equal(
      await register({ 'content-type': 'application/json' }, json.replace('first@', 'second@')),
      403,
    );
    const config = (await (await fetch(`${t.base}/admin/config.json`)).json()) as Record<string, unknown>;
    assert.deepEqual([config.admin_exists, config.first_run_open], [true, false]);
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
