// The Invitations screen in Chromium: invite with roles and an expiry (the link is shown once, and it
// opens the sign-up page and makes the account with the roles), resend (a new link, the old one dead),
// revoke (confirmed), status filter and pages; axe on the screen and its dialogs, screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { unlessChromium } from '../support/browser.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  waitForCount,
  type ConsoleTest,
} from './harness.js';

const INVITATIONS = '/v2/admin/tenants/default/invitations';

interface Invitation {
  id: string;
  email: string;
  status: string;
  roles: string[];
  expires_at: string;
  user_id: string | null;
}

describe('console: invitations', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    for (const name of ['editor', 'viewer']) {
      const role = await c.call('POST', '/v2/admin/tenants/default/roles', { name });
      assert.equal(role.status, 201, JSON.stringify(role.body));
    }
    const taken = await c.call('POST', '/v2/admin/tenants/default/users', { email: 'taken@example.com' });
    assert.equal(taken.status, 201);
  });
  after(() => c.close());

  const list = async (status?: string): Promise<Invitation[]> =>
    (await c.call('GET', `${INVITATIONS}?limit=200${status ? `&status=${status}` : ''}`)).body
      .invitations as Invitation[];
  /** Picks a status in the filter (its labels are the clickable part of the segmented control). */
  const showStatus = (page: Page, value: string) =>
    page.locator(`.mantine-SegmentedControl-root label[for$="-${value}"]`).click();
  const status = async (url: string) => (await fetch(url, { redirect: 'manual' })).status;

  async function invite(page: Page, email: string, roles: string[] = []): Promise<string> {
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByRole('textbox', { name: /^Email/ }).fill(email);
    for (const role of roles) {
      await dialog.getByLabel('Roles').first().click();
      await page.getByRole('option', { name: role, exact: true }).click();
    }
    await page.keyboard.press('Escape');
    if (await dialog.isVisible()) {
      await dialog.getByRole('switch', { name: 'Email the link to the address' }).uncheck();
      await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    }
    const shown = page.getByRole('dialog', { name: 'Invitation created' });
    const url = await shown.getByRole('textbox', { name: 'Invitation link' }).inputValue();
    await shown.getByRole('button', { name: 'Done' }).click();
    await shown.waitFor({ state: 'detached' });
    return url;
  }

  test('invite with roles and an expiry: the link is shown once and makes the account', async () => {
    const page = await c.open('/t/default/invitations');
    await page.getByText('No invitations yet').waitFor();
    await assertAccessible(page, 'invitations, empty');

    // An address that has an account: the API's description in the dialog.
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite someone' });
    await dialog.getByRole('textbox', { name: /^Email/ }).fill('taken@example.com');
    await dialog.getByLabel('The link works for').click();
    await page.getByRole('option', { name: '1 day' }).click();
    await dialog.getByLabel('Roles').first().click();
    await page.getByRole('option', { name: 'editor', exact: true }).click();
    await dialog.getByRole('heading').click(); // closes the roles dropdown
    await assertAccessible(page, 'invite dialog');
    await dialog.getByRole('switch', { name: 'Email the link to the address' }).uncheck();
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    assert.match(await dialog.getByRole('alert').innerText(), /already exists/);

    await dialog.getByRole('textbox', { name: /^Email/ }).fill('newcomer@example.com');
    await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
    const shown = page.getByRole('dialog', { name: 'Invitation created' });
    const url = await shown.getByRole('textbox', { name: 'Invitation link' }).inputValue();
    await assertAccessible(page, 'invitation link dialog');
    await shown.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'newcomer@example.com', exact: true }).waitFor();

    const [made] = await list();
    assert.equal(made!.email, 'newcomer@example.com');
    assert.equal(made!.status, 'pending');
    assert.deepEqual(made!.roles, ['editor']);
    const ttl = Date.parse(made!.expires_at) - Date.now();
    assert.ok(ttl > 23 * 3600_000 && ttl <= 24 * 3600_000, `expires in a day: ${ttl} ms`);

    // The link opens the sign-up page (200), and accepting it makes the account with the role.
    assert.equal(await status(url), 200);
    const visitor = await page.context().newPage();
    await visitor.goto(url);
    await visitor.fill('#password', 'Invited-Pass-2026-xyz!');
    await visitor.fill('#confirm', 'Invited-Pass-2026-xyz!');
    await Promise.all([visitor.waitForURL(/\/account$/), visitor.click('button[type=submit]')]);
    await visitor.close();
    const [accepted] = await list('accepted');
    assert.ok(accepted?.user_id);
    const roles = await c.call('GET', `/v2/admin/tenants/default/users/${accepted.user_id}/roles`);
    assert.deepEqual(
      (roles.body.roles as { name: string }[]).map((r) => r.name),
      ['editor'],
    );

    // In the console: the accepted invitation links to the account it made.
    await page.reload();
    await showStatus(page, 'accepted');
    await page.getByRole('link', { name: 'newcomer@example.com' }).click();
    await page.waitForURL(new RegExp(`/users/${accepted.user_id}$`));
    await page.close();
  });

  test('resend makes a new link (the old one is dead); revoke, confirmed, kills it', async () => {
    const page = await c.open('/t/default/invitations');
    await page.getByRole('button', { name: 'Invite', exact: true }).waitFor();
    const first = await invite(page, 'resend-me@example.com', ['viewer']);
    assert.equal(await status(first), 200);

    await page.getByRole('button', { name: 'Resend the invitation to resend-me@example.com' }).click();
    const shown = page.getByRole('dialog', { name: 'Invitation sent again' });
    const second = await shown.getByRole('textbox', { name: 'Invitation link' }).inputValue();
    await shown.getByRole('button', { name: 'Done' }).click();
    assert.notEqual(second, first);
    assert.equal(await status(first), 410);
    assert.equal(await status(second), 200);

    await page.getByRole('button', { name: 'Revoke the invitation to resend-me@example.com' }).click();
    const ask = page.getByRole('dialog');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(
      (await list('pending')).some((i) => i.email === 'resend-me@example.com'),
      true,
    );
    await page.getByRole('button', { name: 'Revoke the invitation to resend-me@example.com' }).click();
    await ask.getByRole('button', { name: 'Revoke invitation' }).click();
    await ask.waitFor({ state: 'detached' });
    assert.equal(
      (await list('revoked')).some((i) => i.email === 'resend-me@example.com'),
      true,
    );
    assert.equal(await status(second), 410);

    await showStatus(page, 'revoked');
    await waitForCount(page.locator('tbody tr'), 1);
    await showStatus(page, 'pending');
    await page.getByText('No pending invitations').waitFor();
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/invitations', { width });
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, `invitations at ${width}px`);
      await consoleScreenshot(page, 'invitations');
      await page.close();
    }
  });

  test('long lists come a page at a time', async () => {
    for (let i = 0; i < 26; i++) {
      const made = await c.call('POST', INVITATIONS, { email: `bulk${i}@example.com`, send_email: false });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    const page = await c.open('/t/default/invitations');
    const rows = page.locator('tbody tr');
    await waitForCount(rows, 25);
    const firstPage = await rows.locator('td:first-child').allInnerTexts();
    await page.getByRole('button', { name: 'Next' }).click();
    await waitForCount(rows, (await list()).length - 25);
    const secondPage = await rows.locator('td:first-child').allInnerTexts();
    assert.equal(
      secondPage.some((email) => firstPage.includes(email)),
      false,
    );
    await page.getByRole('button', { name: 'Previous' }).click();
    await waitForCount(rows, 25);
    await page.close();
  });
});
