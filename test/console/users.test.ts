// The Users screen in Chromium: search as you type, pages, creating a user; axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unlessChromium } from '../support/browser.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  waitForCount,
  type ConsoleTest,
} from './harness.js';

describe('console: users', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    for (const name of ['ann', 'anna', 'bob']) {
      const created = await c.call('POST', '/v2/admin/tenants/default/users', {
        email: `${name}@example.com`,
        name: name.toUpperCase(),
        email_verified: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
  });
  after(() => c.close());

  test('search as you type narrows the list; a new user opens on their page', async () => {
    const page = await c.open('/t/default/users');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    await page.getByLabel('Search by email').fill('ann');
    await waitForCount(rows, 2);
    assert.deepEqual((await rows.locator('td:first-child').allInnerTexts()).sort(), [
      'ann@example.com',
      'anna@example.com',
    ]);
    await page.getByLabel('Search by email').fill('zed');
    await page.getByText('No user\u2019s email starts with').waitFor();

    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Email/ }).fill('ann@example.com');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // Taken: the API's own description is shown in the dialog.
    assert.match(await dialog.getByRole('alert').innerText(), /already/i);
    await dialog.getByRole('textbox', { name: /^Email/ }).fill('carol@example.com');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/admin\/t\/default\/users\/[0-9a-f-]{36}$/);
    const listed = await c.call('GET', '/v2/admin/tenants/default/users?email=carol');
    assert.equal((listed.body.users as unknown[]).length, 1);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/users', { width });
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, `users at ${width}px`);
      await consoleScreenshot(page, 'users');
      await page.close();
    }
  });
});
