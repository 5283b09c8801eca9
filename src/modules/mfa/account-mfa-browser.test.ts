// The account page's "Two-step sign-in" card in Chromium, without JavaScript: sign in, set up an
// authenticator app from the page (the key read off the page, the code computed as an app would), save the
// recovery codes shown once, turn email codes on (the code from a real SMTP server), a phone number (a
// local server speaking Twilio's API), make email codes preferred, remove the app; screenshots at phone and desktop widths (test-results/screenshots/account-mfa-*).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { signedInLongAgo } from '../../../test/support/account-page.js';
import { STRONG_PASSWORD, startTestApp, type TestApp } from '../../../test/support/app.js';
import { SCREENSHOT_DIR, screenshot, sharedBrowser, unlessChromium } from '../../../test/support/browser.js';
import { startFakeTwilio, type FakeSmsProvider, type TwilioFailure } from '../../../test/support/fake-sms.js';
import { smtpEnv, startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';

const TWILIO = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'f'.repeat(32) };

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** Full-page screenshots at both widths, ending at the desktop width. */
async function bothWidths(page: Page, name: string): Promise<void> {
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-1280`);
}

describe('the two-step sign-in card in Chromium', { skip: unlessChromium() }, () => {
  let smtp: TestSmtpServer;
  let twilio: FakeSmsProvider<TwilioFailure>;
  let t: TestApp;
  const browser = sharedBrowser();
  before(async () => {
    smtp = await startSmtpServer();
    twilio = await startFakeTwilio(TWILIO);
    t = await startTestApp({
      ...smtpEnv(smtp),
      MFA_TOTP_WINDOW: '4',
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.baseUrl,
    });
  });
  after(async () => {
    await browser.close();
    await t.close();
    await twilio.stop();
    await smtp.stop();
  });

  test('set up an app, save the recovery codes, add email codes, make them preferred, remove the app', async () => {
    // A fresh database of its own: a plain address reads better in the screenshots.
    const email = 'ada@example.com';
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name: 'Ada' });
    assert.equal(registered.status, 201);
    const userId = (registered.body.user as { id: string }).id;
    const context = await (await browser.get()).newContext({ javaScriptEnabled: false, viewport: DESKTOP });
    try {
      const page = await context.newPage();
      await page.goto(`${t.base}/account`);
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', STRONG_PASSWORD);
      await page.click('form:has(input[name="password"]) button[type="submit"]');
      await page.waitForURL((u) => u.pathname === '/account');
      const card = page.locator('#mfa');
      assert.match(await card.locator('h2').innerText(), /Two-step sign-in/);
      assert.match(await card.innerText(), /Off/);
      await card.scrollIntoViewIfNeeded();
      await bothWidths(page, 'account-mfa-off');

      // The authenticator app: the QR code, the key behind "Can't scan it?", the code an app computes.
      await page.locator('#mfa-offers li', { hasText: 'Authenticator app' }).getByRole('button').click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/totp');
      // A wrong code: the error in the card, no QR code (a new one would be a new secret), start again.
      await page.fill('#code', '000000');
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/totp/confirm');
      assert.match(await page.locator('#mfa [role="alert"]').innerText(), /The code is not correct/);
      assert.equal(await page.locator('.qr img').count(), 0);
      await bothWidths(page, 'account-mfa-wrong-code');
      await page.getByRole('button', { name: 'Start again with a new one' }).click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/totp');
      assert.equal(await page.locator('.qr img').count(), 1, 'the QR code');
      await page.locator('details.secret summary').click();
      await bothWidths(page, 'account-mfa-setup');
      const key = (await page.locator('details.secret code').innerText()).replace(/\s/g, '');
      const totp = new TOTP({ secret: Secret.fromBase32(key) });
      await page.fill('#code', totp.generate());
      await page.getByRole('button', { name: 'Turn on' }).click();

      // The first factor comes with recovery codes, shown on this answer only.
      await page.waitForURL((u) => u.pathname === '/account/mfa/totp/confirm');
      assert.match(await page.locator('[role="status"]').innerText(), /authenticator app is set up/);
      const codes = await page.locator('ol.codes li').allInnerTexts();
      assert.equal(codes.length, 10);
      for (const code of codes) assert.match(code, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
      assert.match(await page.locator('.warning').innerText(), /won’t see these codes again/);
      await bothWidths(page, 'account-mfa-recovery-codes');
      await page.getByRole('link', { name: 'I’ve saved my codes' }).click();
      await page.waitForURL((u) => u.pathname === '/account');
      assert.equal(await page.locator('ol.codes').count(), 0, 'not on the account page');

      const app = page.locator('#mfa-methods li', { hasText: 'Authenticator app' });
      assert.equal(await app.count(), 1);
      assert.match(await card.innerText(), /10 of 10 left/);
      assert.match(await card.locator('.state').innerText(), /On/);
      // The card alone, for the documentation.
      for (const size of [PHONE, DESKTOP]) {
        await page.setViewportSize(size);
        await card.screenshot({ path: path.join(SCREENSHOT_DIR, `account-mfa-totp-${size.width}.png`) });
      }
      await bothWidths(page, 'account-mfa-totp-page');

      // Email codes: the code from the mail; a second factor comes without new recovery codes.
      await page.locator('#mfa-offers li', { hasText: 'Email codes' }).getByRole('button').click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/email');
      assert.match(await page.locator('[role="status"]').innerText(), /We sent a code to/);
      await bothWidths(page, 'account-mfa-email');
      const mail = await smtp.waitFor((m) => m.to.includes(email) && /Confirm email codes/.test(m.subject));
      const emailCode = /^(\d{6,10})$/m.exec(mail.text)?.[1];
      assert.ok(emailCode);
      await page.fill('#code', emailCode);
      await page.getByRole('button', { name: 'Turn on email codes' }).click();
      await page.waitForURL((u) => u.pathname === '/account' && u.search === '?notice=email_added');
      assert.match(await card.locator('[role="status"]').innerText(), /Email codes are on/);

      // A phone number: the number, then the code texted to it (not confirmed here: Cancel).
      await page.locator('#mfa-offers li', { hasText: 'Text message' }).getByRole('link').click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/phone');
      await bothWidths(page, 'account-mfa-phone');
      await page.fill('#phone_number', '+1 202 555 0199');
      await page.getByRole('button', { name: 'Send code' }).click();
      await page.waitForURL((u) => u.pathname === '/account/mfa/phone');
      assert.match(await page.locator('[role="status"]').innerText(), /We texted a code to \+1 ••• ••• 0199/);
      assert.ok(twilio.lastMessageTo('+12025550199'), 'texted');
      await bothWidths(page, 'account-mfa-phone-code');
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL((u) => u.pathname === '/account');

      // Make email codes preferred, then remove the app.
      const emailRow = page.locator('#mfa-methods li', { hasText: 'Email code' });
      assert.equal(await app.locator('.badge', { hasText: 'Preferred' }).count(), 1);
      await emailRow.getByRole('button', { name: 'Make preferred' }).click();
      await page.waitForURL((u) => u.search === '?notice=preferred_set');
      assert.equal(await emailRow.locator('.badge', { hasText: 'Preferred' }).count(), 1);
      assert.equal(await app.locator('.badge', { hasText: 'Preferred' }).count(), 0);
      await card.scrollIntoViewIfNeeded();
      await bothWidths(page, 'account-mfa-two-factors');

      await app.getByRole('button', { name: 'Remove' }).click();
      await page.waitForURL((u) => u.search === '?notice=factor_removed');
      assert.equal(await page.locator('#mfa-offers li', { hasText: 'Authenticator app' }).count(), 1);
      assert.equal(await page.locator('#mfa-methods li', { hasText: 'Authenticator app' }).count(), 0);
      assert.match(await card.locator('[role="status"]').innerText(), /That method is removed/);

      // Long after signing in, the card asks to confirm it's you before any change.
      await signedInLongAgo(t, userId);
      await page.goto(`${t.base}/account#mfa`);
      assert.equal(await card.getByRole('button', { name: 'Remove' }).count(), 0);
      assert.equal(await card.getByRole('link', { name: 'Confirm it’s you' }).count(), 1);
      await card.scrollIntoViewIfNeeded();
      await bothWidths(page, 'account-mfa-confirm');
    } finally {
      await context.close();
    }
  });
});
