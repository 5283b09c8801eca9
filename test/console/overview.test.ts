// The Overview screen in Chromium: the numbers are the arranged ones (two sign-ins, one failure, one user,
// two sessions), and the health strip; axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { STRONG_PASSWORD } from '../support/app.js';
import { unlessChromium } from '../support/browser.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  type ConsoleTest,
} from './harness.js';

describe('console: overview', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    assert.equal((await c.call('POST', '/v2/admin/tenants', { slug: 'shop', name: 'Shop' })).status, 201);
    const email = 'ann@example.com';
    const made = await c.call('POST', '/v2/admin/tenants/shop/users', {
      email,
      password: STRONG_PASSWORD,
      email_verified: true,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (const [password, status] of [
      [STRONG_PASSWORD, 200],
      ['Not-the-password-1', 401],
      [STRONG_PASSWORD, 200],
    ] as const) {
      const res = await fetch(`${c.t.base}/t/shop/v2/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      assert.equal(res.status, status, await res.text());
    }
  });
  after(() => c.close());

  const figure = (page: Page, label: string) => page.getByTestId(`figure-${label}`).innerText();

  test('the numbers are what happened: 2 sign-ins, 1 failed, 2 sessions, 1 user', async () => {
    const page = await c.open('/t/shop');
    await page.getByTestId('figure-Sign-ins').waitFor();
    assert.equal(await figure(page, 'Sign-ins'), '2');
    assert.equal(await figure(page, 'Failed sign-ins'), '1');
    assert.equal(await figure(page, 'Active sessions'), '2');
    assert.equal(await figure(page, 'Users'), '1');
    // Today's bars carry the same counts.
    await page.locator('rect title', { hasText: ': 2 sign-ins' }).first().waitFor({ state: 'attached' });
    await page.locator('rect title', { hasText: ': 1 failed' }).first().waitFor({ state: 'attached' });
    // The health strip.
    const health = page.getByRole('region', { name: 'Installation health' });
    await health.getByText('Database').waitFor();
    assert.match(await health.innerText(), /OK \((PostgreSQL|PGlite)\)/i);
    assert.match(await health.innerText(), /Up to date/i);
    // Another tenant: nothing yet.
    const other = await c.open('/t/default');
    await other.getByTestId('figure-Sign-ins').waitFor();
    assert.equal(await figure(other, 'Sign-ins'), '0');
    await page.close();
    await other.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/shop', { width });
      await page.getByTestId('figure-Sign-ins').waitFor();
      await page.getByRole('region', { name: 'Installation health' }).waitFor();
      await assertAccessible(page, `overview at ${width}px`);
      await consoleScreenshot(page, 'overview');
      await page.close();
    }
  });
});
