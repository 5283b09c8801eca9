// The Tenants screen in Chromium: creating a tenant (then its settings), deleting one with its slug typed,
// the default tenant kept; axe and screenshots.
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

describe('console: tenants', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    const made = await c.call('POST', '/v2/admin/tenants', { slug: 'doomed', name: 'Doomed Ltd' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
  });
  after(() => c.close());

  test('a new tenant is created from its name and opens on its settings', async () => {
    const page = await c.open('/tenants');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Acme Corp');
    // The slug follows the name until it is typed.
    assert.equal(await dialog.getByRole('textbox', { name: /^Slug/ }).inputValue(), 'acme-corp');
    await dialog.getByRole('textbox', { name: /^Slug/ }).fill('doomed');
    await dialog.getByRole('button', { name: 'Create' }).click();
    // Taken: the API's own description in the dialog.
    assert.match(await dialog.getByRole('alert').innerText(), /already exists/);
    await dialog.getByRole('textbox', { name: /^Slug/ }).fill('acme-corp');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/admin\/t\/acme-corp\/settings$/);
    await page.getByRole('heading', { name: 'Branding' }).waitFor();
    const created = await c.call('GET', '/v2/admin/tenants/acme-corp');
    assert.equal(created.status, 200);
    assert.equal(created.body.name, 'Acme Corp');
    await page.close();
  });

  test('deleting a tenant needs its slug typed; the default tenant cannot be deleted', async () => {
    const page = await c.open('/tenants');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    const count = await rows.count();
    const defaultRow = rows.filter({ hasText: 'Default' });
    assert.equal(await defaultRow.getByRole('button', { name: /Delete/ }).count(), 0);

    await page.getByRole('button', { name: 'Delete Doomed Ltd' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete tenant' });
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel('Type doomed to confirm').fill('doome');
    assert.ok(await confirm.isDisabled());
    await dialog.getByLabel('Type doomed to confirm').fill('doomed');
    await confirm.click();
    await waitForCount(rows, count - 1);
    assert.equal((await c.call('GET', '/v2/admin/tenants/doomed')).status, 404);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/tenants', { width });
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, `tenants at ${width}px`);
      await consoleScreenshot(page, 'tenants');
      await page.close();
    }
  });
});
