// The Audit log screen in Chromium: filters (type or family, user) narrow the list through the API's own
// query, cursor pages, a row opens to its data as JSON, and the export downloads the same selection as
// NDJSON (fetched with the console's token); axe and screenshots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { unlessChromium } from '../support/browser.js';
import { waitFor } from '../support/webhook-receiver.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  waitForCount,
  type ConsoleTest,
} from './harness.js';

type Rows = ReturnType<Page['locator']>;
/** A row as evaluateAll hands it over (the tests are compiled without the DOM's types). */
interface Tagged {
  getAttribute(name: string): string | null;
}

/** Waits until the list shows `count` rows, all of one of `types` (the page before stays until then). */
async function waitForRows(rows: Rows, count: number, types: string[]): Promise<void> {
  await waitFor(`${count} rows of ${types.join(', ')}`, async () => {
    const shown = await rows.evaluateAll((r: Tagged[]) => r.map((e) => e.getAttribute('data-event-type')));
    return shown.length === count && shown.every((t) => types.includes(t ?? ''));
  });
}

describe('console: audit log', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  let blocked: string;
  before(async () => {
    c = await startConsoleTest();
    // 52 user.created events: one more page than the 50 the screen shows at once.
    for (let i = 0; i < 52; i++) {
      const created = await c.call('POST', '/v2/admin/tenants/default/users', {
        email: `audit${i}@example.com`,
        email_verified: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      if (i === 7) blocked = created.body.id as string;
    }
    const block = await c.call('POST', `/v2/admin/tenants/default/users/${blocked}/block`);
    assert.ok(block.status < 300, JSON.stringify(block.body));
  });
  after(() => c.close());

  test('filters narrow the list, pages go on, a row opens to its data, the export matches', async () => {
    const page = await c.open('/t/default/audit');
    const rows = page.locator('tbody tr[data-event-type]');
    await rows.first().waitFor();
    // Newest first: the block is on top.
    assert.equal(await rows.first().getAttribute('data-event-type'), 'user.blocked');
    await waitForCount(rows, 50);

    await page.getByRole('combobox', { name: /^Event type/ }).fill('user.blocked');
    await waitForRows(rows, 1, ['user.blocked']);
    assert.equal(await rows.first().getAttribute('data-event-type'), 'user.blocked');
    await rows
      .first()
      .getByRole('button', { name: /^Details of user.blocked/ })
      .click();
    const data = page.getByLabel('Data of user.blocked');
    await data.waitFor();
    const shown = JSON.parse(await data.innerText()) as Record<string, unknown>;
    const api = await c.call('GET', '/v2/admin/tenants/default/audit?type=user.blocked');
    const [event] = api.body.events as { data: Record<string, unknown>; user_id: string }[];
    assert.deepEqual(shown, event!.data);
    assert.equal(event!.user_id, blocked);

    // A family; then one user's events only.
    await page.getByRole('combobox', { name: /^Event type/ }).fill('user.*');
    await waitForRows(rows, 50, ['user.blocked', 'user.created']);
    await page.getByRole('textbox', { name: /^User id/ }).fill(blocked);
    await waitForCount(rows, 2);
    const types = await rows.evaluateAll((r: Tagged[]) => r.map((e) => e.getAttribute('data-event-type')));
    assert.deepEqual(types, ['user.blocked', 'user.created']);
    await page.getByRole('textbox', { name: /^User id/ }).fill('');

    // Cursor pages of user.created: 50, then the 2 older ones, then back.
    await page.getByRole('combobox', { name: /^Event type/ }).fill('user.created');
    await waitForRows(rows, 50, ['user.created']);
    const newest = await rows.first().innerText();
    await page.getByRole('button', { name: 'Older' }).click();
    await waitForCount(rows, 2);
    assert.ok(await page.getByRole('button', { name: 'Older' }).isDisabled());
    await page.getByRole('button', { name: 'Newer' }).click();
    await waitForCount(rows, 50);
    assert.equal(await rows.first().innerText(), newest);

    // The export: the same filter, every page, one JSON event per line.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^audit-default-\d{4}-\d{2}-\d{2}\.ndjson$/);
    const lines = readFileSync(await download.path(), 'utf8')
      .split('\n')
      .filter(Boolean);
    assert.equal(lines.length, 52);
    assert.ok(lines.every((line) => (JSON.parse(line) as { type: string }).type === 'user.created'));

    // The API refuses a backwards range: its description is shown, not a blank screen.
    await page.getByRole('textbox', { name: /^From/ }).fill('2030-01-01T00:00');
    await page.getByRole('textbox', { name: /^To/ }).fill('2020-01-01T00:00');
    assert.match(await page.getByRole('alert').innerText(), /from must be before to/);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/audit', { width });
      const rows = page.locator('tbody tr[data-event-type]');
      await rows.first().waitFor();
      await rows
        .first()
        .getByRole('button', { name: /^Details of/ })
        .click();
      await page.getByLabel(/^Data of/).waitFor();
      await assertAccessible(page, `audit at ${width}px`);
      await consoleScreenshot(page, 'audit');
      await page.close();
    }
  });
});
