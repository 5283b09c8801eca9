// The Signing keys screen in Chromium: the tenant's keys and their states; a rotation confirmed in the UI
// puts the new kid in the tenant's JWKS (found through discovery) while the retired one stays there to
// verify tokens already issued; axe and screenshots.
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

interface Key {
  kid: string;
  status: string;
}

describe('console: signing keys', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
  });
  after(() => c.close());

  const jwksKids = async (): Promise<string[]> => {
    const discovery = (await (await fetch(`${c.t.issuer()}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: { kid: string }[] };
    return jwks.keys.map((k) => k.kid);
  };

  test('rotate in the UI: the new kid is published, the old one still verifies', async () => {
    const before = (await c.call('GET', '/v2/admin/tenants/default/keys')).body.keys as Key[];
    const active = before.filter((k) => k.status === 'active').map((k) => k.kid);
    assert.ok(active.length > 0);

    const page = await c.open('/t/default/keys');
    const rows = page.locator('tbody tr[data-kid]');
    await waitForCount(rows, before.length);
    for (const kid of active)
      assert.match(await page.locator(`tr[data-kid="${kid}"]`).innerText(), /active/i);
    await page.getByRole('button', { name: 'Rotate keys' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /tokens already issued keep verifying/);
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(
      ((await c.call('GET', '/v2/admin/tenants/default/keys')).body.keys as Key[]).length,
      before.length,
    );

    await page.getByRole('button', { name: 'Rotate keys' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate keys' }).click();
    await page.getByText(/^New keys?:/).waitFor();

    const after = (await c.call('GET', '/v2/admin/tenants/default/keys')).body.keys as Key[];
    const fresh = after.filter((k) => k.status === 'active').map((k) => k.kid);
    assert.equal(fresh.length, active.length);
    assert.ok(fresh.every((kid) => !active.includes(kid)));
    // The screen shows the new state without a reload.
    await waitForCount(rows, after.length);
    for (const kid of fresh) assert.match(await page.locator(`tr[data-kid="${kid}"]`).innerText(), /active/i);
    for (const kid of active)
      assert.match(await page.locator(`tr[data-kid="${kid}"]`).innerText(), /retired[\s\S]*until/i);

    const published = await jwksKids();
    for (const kid of [...fresh, ...active]) assert.ok(published.includes(kid), `${kid} in the JWKS`);
    // The JWKS URL the screen gives is the one discovery names.
    const shown = await page.getByRole('textbox', { name: 'JWKS URL' }).inputValue();
    assert.equal(shown, `${c.t.issuer()}/.well-known/jwks.json`);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/keys', { width });
      await page.locator('tbody tr[data-kid]').first().waitFor();
      await assertAccessible(page, `keys at ${width}px`);
      await consoleScreenshot(page, 'keys');
      await page.close();
    }
  });
});
