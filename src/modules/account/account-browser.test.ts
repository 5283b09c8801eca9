// The account page in Chromium, without JavaScript: sign in through the hosted sign-in page, land on
// /account, change the name, sign out another session; screenshots at phone and desktop widths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { screenshot, sharedBrowser, unlessChromium } from '../../../test/support/browser.js';

const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('the account page in Chromium', { skip: unlessChromium() }, () => {
  let t: TestApp;
  const browser = sharedBrowser();
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await browser.close();
    await t.close();
  });

  test('sign in, change the name, sign out another session (390 and 1280 px)', async () => {
    const email = uniqueEmail('account-browser');
    assert.equal(
      (await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name: 'Ada' })).status,
      201,
    );
    // Two more sessions to list: a phone (the API) and a Windows laptop (another browser).
    for (const ua of [PHONE_UA, WINDOWS_UA])
      assert.equal(
        (await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD }, { 'user-agent': ua })).status,
        200,
      );

    const context = await (
      await browser.get()
    ).newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await context.newPage();
      await page.goto(`${t.base}/account`);
      assert.equal(new URL(page.url()).pathname, '/login', 'signed out: the sign-in page');
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', STRONG_PASSWORD);
      await page.click('form:has(input[name="password"]) button[type="submit"]');
      await page.waitForURL((u) => u.pathname === '/account');
      assert.equal(await page.locator('h1').innerText(), 'Your account');

      await page.fill('#name', 'Ada Lovelace');
      await page.click('#profile button[type="submit"]');
      await page.waitForURL((u) => u.search === '?notice=name_saved');
      assert.equal(await page.inputValue('#name'), 'Ada Lovelace');
      assert.match(await page.locator('[role="status"]').innerText(), /Your name is saved/);

      const phoneRow = page.locator('#sessions li', { hasText: 'Safari on iPhone' });
      assert.equal(await phoneRow.count(), 1, 'the phone is listed in plain words');
      assert.equal(await page.locator('#sessions li', { hasText: 'Chrome on Windows' }).count(), 1);
      assert.equal(await page.locator('#sessions li', { hasText: 'This device' }).count(), 1);
      await screenshot(page, 'account-1280');
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, 'account-390');

      await phoneRow.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((u) => u.search === '?notice=session_signed_out');
      assert.equal(await page.locator('#sessions li', { hasText: 'Safari on iPhone' }).count(), 0);
      assert.equal(await page.locator('#sessions li', { hasText: 'Chrome on Windows' }).count(), 1);

      // Long after signing in, the password card asks to confirm it's you first.
      const moved = await t.db.query<{ id: string; tenant_id: string }>(
        `UPDATE sessions SET auth_time = now() - interval '1 hour' RETURNING id, tenant_id`,
      );
      await t.app.services.sessionAccess.invalidateSessions(
        moved.rows[0]!.tenant_id,
        moved.rows.map((r) => r.id),
      );
      await page.goto(`${t.base}/account`);
      assert.equal(await page.locator('#password input[type="password"]').count(), 0);
      assert.equal(await page.locator('#password a', { hasText: 'Confirm it’s you' }).count(), 1);
      await screenshot(page, 'account-confirm-390');
      await page.setViewportSize({ width: 1280, height: 900 });
      await screenshot(page, 'account-confirm-1280');
    } finally {
      await context.close();
    }
  });
});
