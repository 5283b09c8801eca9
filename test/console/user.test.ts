// The user page in Chromium: block/unblock (the user's next sign-in is refused, then works), set a password
// and sign in with it, end a session, edit the profile and metadata, roles, reset MFA, the activity trail,
// export as a file, delete with typed confirmation; axe on each tab and screenshots.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { STRONG_PASSWORD } from '../support/app.js';
import { unlessChromium } from '../support/browser.js';
import { bearer, enrolTotp } from '../support/mfa.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  waitForCount,
  type ConsoleTest,
} from './harness.js';

const USERS = '/v2/admin/tenants/default/users';

describe('console: user page', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  before(async () => {
    c = await startConsoleTest();
    const role = await c.call('POST', '/v2/admin/tenants/default/roles', {
      name: 'editor',
      description: 'Edits articles',
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
  });
  after(() => c.close());

  let n = 0;
  async function newUser(extra: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
    const email = `user${n++}-${process.pid}@example.com`;
    const created = await c.call('POST', USERS, {
      email,
      password: STRONG_PASSWORD,
      email_verified: true,
      name: 'Ann Example',
      ...extra,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { id: String(created.body.id), email };
  }
  const login = (email: string, password = STRONG_PASSWORD) =>
    c.t.post('/v2/auth/login', { email, password, tenant_id: 'default' });

  async function openUser(id: string, tab = '', width = 1280): Promise<Page> {
    const page = await c.open(`/t/default/users/${id}${tab ? `?tab=${tab}` : ''}`, { width });
    await page.getByRole('heading', { level: 1 }).waitFor();
    return page;
  }
  /** Clicks the action, then the confirming button of the dialog it opens. */
  async function confirm(page: Page, action: string, confirmLabel: string): Promise<void> {
    await page
      .getByRole('button', { name: new RegExp(`^${action}`) })
      .first()
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: confirmLabel, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  test('block: the next sign-in is refused; unblock: it works again', async () => {
    const user = await newUser();
    assert.equal((await login(user.email)).status, 200);
    const page = await openUser(user.id);
    await confirm(page, 'Block', 'Block');
    await page.getByText('Blocked', { exact: true }).waitFor();
    assert.equal((await c.call('GET', `${USERS}/${user.id}`)).body.blocked, true);
    const refused = await login(user.email);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'access_denied');

    await page.getByRole('button', { name: 'Unblock' }).click();
    await page.getByText('Active', { exact: true }).waitFor();
    assert.equal((await login(user.email)).status, 200);
    await page.close();
  });

  test('set a password in a modal; the user signs in with it, not the old one', async () => {
    const user = await newUser();
    const page = await openUser(user.id);
    await page.getByRole('button', { name: 'Set password' }).click();
    const dialog = page.getByRole('dialog');
    // Too weak: the API's policy answer is shown in the dialog.
    await dialog.getByLabel(/^New password/).fill('short');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await dialog.getByRole('alert').waitFor();
    const fresh = 'Another-Long-Passphrase-77';
    await dialog.getByLabel(/^New password/).fill(fresh);
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await login(user.email, fresh)).status, 200);
    assert.equal((await login(user.email)).status, 401);
    await page.close();
  });

  test('sessions: end one, the other stays', async () => {
    const user = await newUser();
    assert.equal((await login(user.email)).status, 200);
    assert.equal((await login(user.email)).status, 200);
    const page = await openUser(user.id, 'sessions');
    const rows = page.getByRole('table', { name: 'Sessions' }).locator('tbody tr');
    await waitForCount(rows, 2);
    await assertAccessible(page, 'sessions tab');
    await confirm(page, 'Revoke', 'End session');
    await waitForCount(rows, 1);
    const left = await c.call('GET', `${USERS}/${user.id}/sessions`);
    assert.equal((left.body.sessions as unknown[]).length, 1);
    // Sign out everywhere ends the last one: the empty state says what would be there.
    await confirm(page, 'Sign out everywhere', 'Sign out everywhere');
    await page.getByText('No live sessions').waitFor();
    assert.equal(
      ((await c.call('GET', `${USERS}/${user.id}/sessions`)).body.sessions as unknown[]).length,
      0,
    );
    await page.close();
  });

  test('profile: claims and metadata are saved; invalid JSON is caught before sending', async () => {
    const user = await newUser({ app_metadata: { plan: 'free', legacy: true } });
    const page = await openUser(user.id);
    await page.getByLabel('Given name').fill('Ann');
    await page.getByLabel('Family name').fill('Example');
    await page.getByLabel('Locale').fill('fr-CA');
    await page.getByLabel('Phone number', { exact: true }).fill('+14155550123');
    const app = page.getByLabel('app_metadata');
    await app.fill('{"plan": "pro",');
    await page.getByText('Not valid JSON.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save profile' }).isDisabled(), true);
    // "legacy" deleted in the editor: sent as null, so the merge removes it.
    await app.fill('{"plan": "pro", "seats": 5}');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    const saved = (await c.call('GET', `${USERS}/${user.id}`)).body;
    assert.equal(saved.given_name, 'Ann');
    assert.equal(saved.family_name, 'Example');
    assert.equal(saved.locale, 'fr-CA');
    assert.equal(saved.phone_number, '+14155550123');
    assert.deepEqual(saved.app_metadata, { plan: 'pro', seats: 5 });

    // A value the API refuses: its error_description is shown, nothing is saved.
    await page.getByLabel('Picture URL').fill('not a url');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /picture/i })
      .waitFor();
    assert.equal((await c.call('GET', `${USERS}/${user.id}`)).body.picture ?? null, null);
    await page.close();
  });

  test('roles: assign one from the tenant’s roles, then remove it', async () => {
    const user = await newUser();
    const page = await openUser(user.id, 'roles');
    await page.getByText('No roles', { exact: true }).waitFor();
    await assertAccessible(page, 'roles tab');
    await page.getByLabel('Assign roles').first().click();
    await page.getByRole('option', { name: /^editor/ }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    const rows = page.getByRole('table', { name: 'Roles' }).locator('tbody tr');
    await waitForCount(rows, 1);
    const held = await c.call('GET', `${USERS}/${user.id}/roles`);
    assert.deepEqual(
      (held.body.roles as { name: string }[]).map((r) => r.name),
      ['editor'],
    );
    await confirm(page, 'Remove', 'Remove role');
    await page.getByText('No roles', { exact: true }).waitFor();
    assert.deepEqual((await c.call('GET', `${USERS}/${user.id}/roles`)).body.roles, []);
    await page.close();
  });

  test('security: the authenticator app is listed and reset MFA removes it', async () => {
    const user = await newUser();
    const signedIn = await login(user.email);
    await enrolTotp(c.t, bearer(signedIn.body.access_token));
    const page = await openUser(user.id, 'security');
    await page.getByText('Authenticator app').waitFor();
    await page.getByText('password', { exact: true }).waitFor();
    await page.getByText('No passkeys').waitFor();
    await confirm(page, 'Reset MFA', 'Reset MFA');
    await page.getByText('No second factor').waitFor();
    const exported = await c.call('GET', `${USERS}/${user.id}/export`);
    assert.deepEqual((exported.body.modules as { mfa: { totp: unknown[] } }).mfa.totp, []);
    await page.close();
  });

  test('activity: the user’s audit trail, narrowed by type', async () => {
    const user = await newUser();
    assert.equal((await login(user.email, 'Wrong-Password-000')).status, 401);
    assert.equal((await login(user.email)).status, 200);
    const page = await openUser(user.id, 'activity');
    const rows = page.getByRole('table', { name: 'Activity' }).locator('tbody tr');
    await rows.first().waitFor();
    const all = await rows.count();
    assert.ok(all >= 3, `created, failed and succeeded sign-ins: ${all}`);
    await page.getByLabel('Event type').fill('user.login');
    await waitForCount(rows, 1);
    await page.getByLabel('Event type').fill('no.such.');
    await page.getByText('No no.such. events').waitFor();
    await page.close();
  });

  test('export downloads the user’s data as a JSON file', async () => {
    const user = await newUser();
    const page = await openUser(user.id);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.json$/);
    const data = JSON.parse(await readFile(await download.path(), 'utf8')) as { user: { email: string } };
    assert.equal(data.user.email, user.email);
    await page.close();
  });

  test('delete asks to type the email, then goes back to the list', async () => {
    const user = await newUser();
    const page = await openUser(user.id);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    const go = dialog.getByRole('button', { name: 'Delete user' });
    assert.equal(await go.isDisabled(), true);
    await dialog.getByLabel(/^Type /).fill('someone-else@example.com');
    assert.equal(await go.isDisabled(), true);
    await dialog.getByLabel(/^Type /).fill(user.email);
    await go.click();
    await page.waitForURL(/\/admin\/t\/default\/users$/);
    assert.equal((await c.call('GET', `${USERS}/${user.id}`)).status, 404);
    await page.close();
  });

  test('an unknown user: the API’s error, not a blank page', async () => {
    const page = await c.open('/t/default/users/00000000-0000-4000-8000-000000000000');
    await page.getByRole('alert').waitFor();
    await page.close();
  });

  test('accessible on every tab; screenshots of the profile and security tabs at 390 and 1280 px', async () => {
    const user = await newUser({
      given_name: 'Ann',
      family_name: 'Example',
      locale: 'en-GB',
      app_metadata: { plan: 'pro' },
      user_metadata: { theme: 'dark' },
    });
    const signedIn = await login(user.email);
    await enrolTotp(c.t, bearer(signedIn.body.access_token));
    for (const width of [390, 1280]) {
      const page = await openUser(user.id, '', width);
      await page.getByLabel('Given name').waitFor();
      await assertAccessible(page, `profile tab at ${width}px`);
      await consoleScreenshot(page, 'user-profile');
      for (const tab of ['Sessions', 'Security', 'Roles', 'Consents', 'Activity']) {
        await page.getByRole('tab', { name: tab }).click();
        await page.getByRole('tabpanel').locator('table, h2, p').first().waitFor();
        await waitForCount(page.getByLabel('Loading'), 0);
        await assertAccessible(page, `${tab} tab at ${width}px`);
        if (tab === 'Security') await consoleScreenshot(page, 'user-security');
      }
      await page.close();
    }
  });
});
