// An invitation accepted in real Chromium without JavaScript, at 390 and 1280 px: the link from the mail a
// real SMTP server received, the page (the address fixed, the tenant's password hints), the account made
// with the invitation's roles and signed in on /account; the same link afterwards is the dead-link page.
// Screenshots of each page in test-results/screenshots.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { uniqueEmail } from '../../../test/support/app.js';
import { screenshot, sharedBrowser, unlessChromium } from '../../../test/support/browser.js';
import { startOidcApp, type OidcTestApp } from '../../../test/support/oidc.js';
import {
  linkIn,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';

describe('an invitation accepted in Chromium', { skip: unlessChromium() }, () => {
  let smtp: TestSmtpServer;
  let t: OidcTestApp;
  let admin: Record<string, string>;
  const browser = sharedBrowser();

  before(async () => {
    smtp = await startSmtpServer();
    t = await startOidcApp({ ...smtpEnv(smtp), RATE_LIMIT_PER_IP: '100000' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
    assert.equal((await t.post('/v2/admin/tenants/default/roles', { name: 'editor' }, admin)).status, 201);
  });
  after(async () => {
    await browser.close();
    await t.close();
    await smtp.stop();
  });

  test('without JavaScript at 390 and 1280 px: invite page, account page, dead link; screenshots', async () => {
    const nextMail = mailReader(smtp);
    for (const width of [390, 1280]) {
      const email = uniqueEmail(`browser${width}`);
      const created = await t.post(
        '/v2/admin/tenants/default/invitations',
        { email, roles: ['editor'] },
        admin,
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const link = linkIn(await nextMail(email, /^You are invited to /), '/invite');

      const context = await (
        await browser.get()
      ).newContext({ javaScriptEnabled: false, viewport: { width, height: 860 } });
      const page = await context.newPage();
      const files: string[] = [];
      try {
        await page.goto(link.href);
        assert.equal(await page.locator('h1').textContent(), 'Accept your invitation');
        assert.equal(await page.locator('#email').inputValue(), email);
        assert.equal(await page.locator('#email').getAttribute('readonly'), '');
        // The page fits the narrow screen: nothing scrolls sideways.
        const overflow = await page.evaluate<boolean>(
          'document.documentElement.scrollWidth > document.documentElement.clientWidth',
        );
        assert.equal(overflow, false);
        await page.fill('#name', 'Ana Browser');
        await page.fill('#password', 'Invited-Pass-2026-xyz!');
        await page.fill('#confirm', 'Invited-Pass-2026-xyz!');
        files.push(await screenshot(page, `invitation-invite-${width}`));
        await Promise.all([page.waitForURL(/\/account$/), page.click('button[type=submit]')]);
        assert.match((await page.content()) ?? '', new RegExp(email.replace(/[.+]/g, '\\$&')));
        files.push(await screenshot(page, `invitation-account-${width}`));

        const dead = await page.goto(link.href);
        assert.equal(dead?.status(), 410);
        assert.match(
          (await page.locator('[role=alert]').textContent()) ?? '',
          /invalid, has expired or was already used/,
        );
        files.push(await screenshot(page, `invitation-dead-${width}`));
      } finally {
        await context.close();
      }
      for (const file of files) assert.ok(statSync(file).size > 5_000, `${file} has content`);
      const user = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email_normalized = $1', [
        email,
      ]);
      const roles = await t.get(`/v2/admin/tenants/default/users/${user.rows[0]!.id}/roles`, admin);
      assert.deepEqual(
        (roles.body.roles as { name: string }[]).map((r) => r.name),
        ['editor'],
      );
    }
  });
});
