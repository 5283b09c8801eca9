// The API keys screen in Chromium: a key created in the UI is shown once and works against the admin API;
// revoking it in the UI makes it 401 at once; a tenant key is scoped to the tenant picked; axe and
// screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unlessChromium } from '../support/browser.js';
import {
  OPERATOR,
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  type ConsoleTest,
} from './harness.js';

interface Key {
  id: string;
  name: string;
  scope: string;
  tenant: string | null;
  expires_at: string | null;
}

describe('console: API keys', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    await c.t.createTenant('acme', 'Acme');
  });
  after(() => c.close());

  const me = (key: string) =>
    fetch(`${c.t.base}/v2/admin/me`, { headers: { authorization: `Bearer ${key}` } });

  test('create a key (shown once), call the admin API with it, revoke it: 401', async () => {
    const page = await c.open('/api-keys');
    await page.locator('tbody tr').first().waitFor();
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Deploy script');
    await dialog.getByText('Admin', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const field = dialog.getByRole('textbox', { name: 'API key', exact: true });
    await field.waitFor();
    const key = await field.inputValue();
    await consoleScreenshot(page, 'api-key-created');

    const answer = await me(key);
    assert.equal(answer.status, 200);
    const who = (await answer.json()) as { scope: string; email: string; token_id: string };
    assert.equal(who.scope, 'admin');
    // The key belongs to the operator signed in to the console.
    assert.equal(who.email, OPERATOR.email);
    const listed = (await c.call('GET', '/v2/admin/api-keys')).body.api_keys as Key[];
    const row = listed.find((k) => k.id === who.token_id);
    assert.equal(row?.name, 'Deploy script');
    assert.ok(row.expires_at, 'the default expiry (90 days) is set');

    await dialog.getByRole('button', { name: 'Done' }).click();
    assert.equal(await page.getByRole('textbox', { name: 'API key' }).count(), 0, 'never shown again');
    await page.getByRole('button', { name: 'Revoke Deploy script' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText('The key was revoked.').waitFor();
    assert.equal((await me(key)).status, 401);
    assert.equal(await page.getByRole('cell', { name: 'Deploy script' }).count(), 0);
    await page.close();
  });

  test('a tenant key: the tenant picked is its only one; it never expires when asked', async () => {
    const page = await c.open('/api-keys');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Acme CI');
    await dialog.getByText('One tenant', { exact: true }).click();
    const create = dialog.getByRole('button', { name: 'Create key' });
    assert.equal(await create.isDisabled(), true, 'a tenant key needs its tenant');
    await dialog.getByRole('combobox', { name: /^Tenant/ }).click();
    await page.getByRole('option', { name: 'Acme (acme)' }).click();
    await dialog.getByRole('combobox', { name: /^Expires after/ }).click();
    await page.getByRole('option', { name: 'Never' }).click();
    await create.click();
    const key = await dialog.getByRole('textbox', { name: 'API key', exact: true }).inputValue();
    const who = (await (await me(key)).json()) as { scope: string; tenant: string };
    assert.deepEqual([who.scope, who.tenant], ['tenant', 'acme']);
    const scoped = await fetch(`${c.t.base}/v2/admin/tenants/default/clients`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(scoped.status, 403, 'another tenant is out of its reach');
    const listed = (await c.call('GET', '/v2/admin/api-keys')).body.api_keys as Key[];
    assert.equal(listed.find((k) => k.name === 'Acme CI')?.expires_at, null);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/api-keys', { width });
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, `api keys at ${width}px`);
      await consoleScreenshot(page, 'api-keys');
      await page.getByRole('button', { name: 'Create API key' }).click();
      await page.getByRole('dialog').getByText('One tenant', { exact: true }).click();
      await assertAccessible(page, `new api key at ${width}px`);
      await consoleScreenshot(page, 'api-key-new');
      await page.close();
    }
  });
});
