// The Settings screen in Chromium: branding changes the preview before it is saved, and once saved the
// tenant's real sign-in page; a section's refusal shows the API's words; a test mail arrives at a real SMTP
// server; the sign-up switch; axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unlessChromium } from '../support/browser.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  type ConsoleTest,
} from './harness.js';

describe('console: settings', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  let smtp: TestSmtpServer;
  before(async () => {
    smtp = await startSmtpServer();
    c = await startConsoleTest();
    assert.equal((await c.call('POST', '/v2/admin/tenants', { slug: 'brand', name: 'Brand' })).status, 201);
  });
  after(async () => {
    await c.close();
    await smtp.stop();
  });
  const settings = async () =>
    (await c.call('GET', '/v2/admin/tenants/brand')).body.settings as Record<string, Record<string, unknown>>;

  test('branding: the preview changes as typed, the saved branding is on the real sign-in page', async () => {
    const page = await c.open('/t/brand/settings');
    const preview = page.frameLocator('iframe[title="Sign-in page preview"]');
    await preview.getByText('Brand', { exact: true }).waitFor();
    await page.getByRole('textbox', { name: 'Display name' }).fill('Brand New Co');
    await page.getByRole('textbox', { name: 'Primary colour' }).fill('#aa0055');
    await preview.getByText('Brand New Co').waitFor();
    const frame = page.locator('iframe[title="Sign-in page preview"]');
    await page.waitForFunction(
      "document.querySelector('iframe')?.getAttribute('srcdoc')?.includes('#aa0055') === true",
    );
    assert.match((await frame.getAttribute('srcdoc')) ?? '', /--primary:#aa0055/i);
    // Not saved yet.
    assert.equal((await settings()).branding, undefined);
    const before = await (await fetch(`${c.t.base}/t/brand/login`)).text();
    assert.doesNotMatch(before, /Brand New Co/);

    await page.getByRole('button', { name: 'Save branding' }).click();
    await page.getByText('Branding saved.').waitFor();
    assert.deepEqual((await settings()).branding, { display_name: 'Brand New Co', primary_color: '#aa0055' });
    const login = await (await fetch(`${c.t.base}/t/brand/login`)).text();
    assert.match(login, /Brand New Co/);
    assert.match(login, /#aa0055/);
    await page.close();
  });

  test('a refused section shows the API’s error_description; the preview says why it is not updated', async () => {
    const page = await c.open('/t/brand/settings');
    await page.getByRole('textbox', { name: 'Logo URL' }).fill('http://cdn.example.com/logo.png');
    await page.getByText(/Not shown yet:.*logo_url/).waitFor();
    await page.getByRole('button', { name: 'Save branding' }).click();
    const alert = page.locator('#branding').locator('xpath=ancestor::section').getByRole('alert');
    assert.match(await alert.innerText(), /logo_url/);
    await page.close();
  });

  test('SMTP: saved, and a test mail arrives at the server', async () => {
    const page = await c.open('/t/brand/settings');
    const section = page.locator('section', { has: page.locator('#smtp') });
    await section.getByRole('textbox', { name: 'Host' }).fill('127.0.0.1');
    await section.getByRole('textbox', { name: 'Port' }).fill(String(smtp.port));
    await section.getByRole('textbox', { name: 'From' }).fill('Brand <no-reply@brand.example>');
    await section.getByRole('button', { name: 'Save SMTP' }).click();
    await page.getByText('SMTP saved.').waitFor();
    assert.equal((await settings()).smtp!.host, '127.0.0.1');
    await section.getByRole('textbox', { name: 'Send a test mail to' }).fill('ops@brand.example');
    await section.getByRole('button', { name: 'Send test mail' }).click();
    await page.getByText('A test mail was sent to ops@brand.example.').waitFor();
    const mail = await smtp.waitFor((m) => m.to.includes('ops@brand.example'));
    assert.equal(mail.from, 'no-reply@brand.example');
    assert.match(mail.subject, /Test mail from Brand/);
    await page.close();
  });

  test('sign-up can be turned off', async () => {
    const page = await c.open('/t/brand/settings');
    const section = page.locator('section', { has: page.locator('#sign-up') });
    await section.getByRole('switch', { name: 'Anyone can create an account' }).uncheck({ force: true });
    await section.getByRole('button', { name: 'Save sign-up' }).click();
    await page.getByText('Sign-up saved.').waitFor();
    const tenant = await c.call('GET', '/v2/admin/tenants/brand');
    assert.equal((tenant.body.effective as Record<string, boolean>).sign_up_enabled, false);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/brand/settings', { width });
      await page.frameLocator('iframe[title="Sign-in page preview"]').getByText('Brand New Co').waitFor();
      await page.getByRole('switch', { name: 'Passkeys' }).waitFor();
      await assertAccessible(page, `settings at ${width}px`);
      // Chromium does not paint a sandboxed (cross-origin) frame out of view: the screenshot starts there.
      await page.locator('iframe[title="Sign-in page preview"]').scrollIntoViewIfNeeded();
      await consoleScreenshot(page, 'settings');
      await page.close();
    }
  });
});
