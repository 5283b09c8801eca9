// The Webhooks screens in Chromium against a server running its delivery worker and a real receiver
// (test/support/webhook-receiver.mjs, which checks every signature): an endpoint added in the UI (its
// secret shown once) gets the event of a user created through the API; the delivery shows in the
// console's log; a replay from the UI arrives a second time. Also: editing, the test event, rotating the
// secret, deleting, the event list against the server's, axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditEvents } from '../../src/audit/events.js';
import { featureModules } from '../../src/modules/index.js';
import { unlessChromium } from '../support/browser.js';
import { startReceiver, waitFor, WEBHOOK_TEST_ENV, type Receiver } from '../support/webhook-receiver.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  type ConsoleTest,
} from './harness.js';

type Body = Record<string, unknown>;

describe('console: webhooks', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  let receiver: Receiver;
  const open = (at: string, width = 1280) => c.open(at, { width });
  const base = '/v2/admin/tenants/default/webhooks';
  const call = (method: string, at: string, body?: unknown) => c.call(method, at, body);

  before(async () => {
    receiver = await startReceiver();
    // Deliveries need the server's delivery worker.
    c = await startConsoleTest(WEBHOOK_TEST_ENV, { workers: true });
  });
  after(async () => {
    await c.close();
    await receiver.close();
  });

  test("the event types offered are the server's own (GET /v2/admin/event-types)", async () => {
    const declared = [
      ...new Set([...Object.values(auditEvents), ...featureModules.flatMap((m) => m.auditEvents ?? [])]),
    ].sort();
    const listed = await call('GET', '/v2/admin/event-types');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.event_types, declared);
    // A module's type is suggested in the UI (the console has no list of its own).
    const page = await open('/t/default/webhooks');
    await page.getByRole('button', { name: 'Add endpoint' }).first().click();
    await page
      .getByRole('dialog')
      .getByRole('combobox', { name: /^Events/ })
      .fill('console_account');
    await page.getByRole('option', { name: 'admin.console_account_created' }).waitFor();
    await page.close();
  });

  test('add an endpoint in the UI; a user created through the API is delivered, logged and replayed', async () => {
    const page = await open('/t/default/webhooks');
    await page.getByText('No endpoints yet').waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^URL/ }).fill(receiver.url('console'));
    const events = dialog.getByRole('combobox', { name: /^Events/ });
    // Nothing picked: refused before any call.
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('Pick at least one event type.').waitFor();
    await events.fill('user.created');
    await events.press('Enter');
    await events.fill('login.*');
    await events.press('Enter');
    // Away from the suggestions, which cover the buttons.
    await dialog.getByRole('textbox', { name: /^URL/ }).click();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();

    // The secret, shown once, is the one the receiver checks signatures with.
    const secretField = dialog.getByRole('textbox', { name: 'Signing secret' });
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    assert.match(secret, /^whsec_/);
    receiver.configure('console', secret);
    await assertAccessible(page, 'the new secret');
    const listed = await call('GET', base);
    const hooks = listed.body.webhooks as { id: string; events: string[]; url: string }[];
    assert.equal(hooks.length, 1);
    assert.deepEqual(hooks[0]!.events, ['user.created', 'login.*']);
    const id = hooks[0]!.id;
    assert.equal((listed.body.webhooks as Body[])[0]!.secret, undefined);
    await dialog.getByRole('button', { name: 'I have copied it' }).click();
    await page.waitForURL(new RegExp(`/admin/t/default/webhooks/${id}$`));

    const created = await call('POST', '/v2/admin/tenants/default/users', {
      email: 'hooked@example.com',
      email_verified: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const first = await waitFor('the delivery', () => receiver.received('console')[0]);
    assert.equal(first.event, 'user.created');
    assert.ok(first.valid, first.problem ?? '');

    // The log follows pending deliveries by itself; the delivered one shows with its answer.
    const rows = page.locator('tbody tr[data-delivery]');
    const row = rows.filter({ hasText: 'user.created' }).first();
    await row.getByText('delivered').waitFor({ timeout: 15_000 });
    assert.match(await row.innerText(), /HTTP 200/);
    assert.equal(await row.getAttribute('data-delivery'), first.delivery_id);
    await row.getByRole('button', { name: /^Details of delivery/ }).click();
    await page.getByText('Body sent').waitFor();
    assert.match(await page.locator('.hj-json').innerText(), /"type": "user.created"/);

    await row.getByRole('button', { name: /^Replay/ }).click();
    await page.getByText('user.created is sent again.').waitFor();
    const second = await waitFor('the replay', () => receiver.received('console')[1]);
    assert.equal(second.event, 'user.created');
    assert.notEqual(second.delivery_id, first.delivery_id);
    assert.ok(second.valid);
    const replayRow = page.locator(`tbody tr[data-delivery="${second.delivery_id}"]`);
    await replayRow.getByText('delivered').waitFor({ timeout: 15_000 });
    assert.match(await replayRow.innerText(), /Replay/);
    await page.close();
  });

  test('edit, send a test event, rotate the secret (shown once), delete', async () => {
    const made = await call('POST', base, { url: receiver.url('edit'), events: ['user.*'] });
    assert.equal(made.status, 201);
    const id = made.body.id as string;
    receiver.configure('edit', made.body.secret as string);
    const page = await open(`/t/default/webhooks/${id}`);

    const events = page.getByRole('combobox', { name: /^Events/ });
    await events.fill('mfa.*');
    await events.press('Enter');
    await page.getByRole('textbox', { name: /^URL/ }).click();
    await page.getByRole('switch', { name: /^Enabled/ }).click({ force: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The endpoint was saved.').waitFor();
    let shown = await call('GET', `${base}/${id}`);
    assert.deepEqual(shown.body.events, ['user.*', 'mfa.*']);
    assert.equal(shown.body.enabled, false);

    // Disabled: the API refuses the test event, and the console says why.
    await page.getByRole('button', { name: 'Send test event' }).click();
    assert.match(await page.getByRole('alert').filter({ hasText: 'failed' }).innerText(), /disabled/i);
    await page.getByRole('switch', { name: /^Enabled/ }).click({ force: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await waitFor('enabled', async () => (await call('GET', `${base}/${id}`)).body.enabled === true);
    await page.getByRole('button', { name: 'Send test event' }).click();
    const tested = await waitFor('the test event', () => receiver.received('edit')[0]);
    assert.equal(tested.event, 'webhook.test');
    assert.ok(tested.valid);

    // Rotation: confirmed, then the new secret once; the next delivery is signed with it.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const secret = await page.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    assert.notEqual(secret, made.body.secret);
    receiver.configure('edit', secret);
    await page.getByRole('button', { name: 'Send test event' }).click();
    const signed = await waitFor('signed anew', () => receiver.received('edit')[1]);
    assert.ok(signed.valid, signed.problem ?? '');
    await page.reload();
    await page.getByRole('heading', { name: 'Webhook endpoint' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Signing secret' }).count(), 0);

    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL(/\/admin\/t\/default\/webhooks$/);
    shown = await call('GET', `${base}/${id}`);
    assert.equal(shown.status, 404);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    const made = await call('POST', base, {
      url: receiver.url('shots'),
      events: ['user.*', 'login.failed', 'mfa.*', 'password.changed'],
      description: 'CRM sync',
    });
    receiver.configure('shots', made.body.secret as string);
    const id = made.body.id as string;
    await call('POST', `${base}/${id}/test`);
    await waitFor('delivered', async () => {
      const log = await call('GET', `${base}/${id}/deliveries`);
      return (log.body.deliveries as Body[]).some((d) => d.status === 'delivered');
    });
    for (const width of [390, 1280]) {
      let page = await open('/t/default/webhooks', width);
      await page.locator('tbody tr').first().waitFor();
      await assertAccessible(page, `webhooks at ${width}px`);
      await consoleScreenshot(page, 'webhooks');
      await page.close();
      page = await open(`/t/default/webhooks/${id}`, width);
      await page.locator('tbody tr[data-delivery]').first().waitFor();
      await page
        .getByRole('button', { name: /^Details of delivery/ })
        .first()
        .click();
      await page.getByText('Body sent').waitFor();
      await assertAccessible(page, `webhook at ${width}px`);
      await consoleScreenshot(page, 'webhook');
      await page.close();
    }
  });
});
