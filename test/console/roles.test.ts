// The Roles & APIs screen in Chromium: a role created and given an API permission in the UI, given to a
// user, shows in that user's next access token for the API; APIs created, their permissions changed and
// an application allowed in the UI; system roles are not deletable; axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { unlessChromium } from '../support/browser.js';
import {
  authRequest,
  authorize,
  callbackOf,
  HttpAgent,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';
import {
  assertAccessible,
  consoleScreenshot,
  startConsoleTest,
  unlessConsoleBuilt,
  type ConsoleTest,
} from './harness.js';

const INVOICES = 'https://api.example.com/invoices';

describe('console: roles & APIs', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  let app: TestClient;
  let user: TestUser;
  let userId: string;
  before(async () => {
    c = await startConsoleTest();
    const invoices = await c.call('POST', '/v2/admin/tenants/default/resources', {
      identifier: INVOICES,
      name: 'Invoices API',
      permissions: ['read:invoices', 'write:invoices'],
    });
    assert.equal(invoices.status, 201, JSON.stringify(invoices.body));
    app = await c.t.createClient({ name: 'Billing portal', scopes: ['openid', 'profile', 'email'] });
    const allowed = await c.call(
      'PUT',
      `/v2/admin/tenants/default/resources/${invoices.body.id as string}/clients/${app.clientId}`,
      { permissions: [] },
    );
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    user = await c.t.createUser();
    userId = (await c.t.get('/v2/me', { authorization: `Bearer ${user.accessToken!}` })).body.id as string;
    // A system role is made only with the CLI; here, straight in its table.
    await c.t.db.query(
      "INSERT INTO rbac_roles (tenant_id, name, description, system) SELECT id, 'owner', 'Made by the CLI', true FROM tenants WHERE slug = 'default'",
    );
  });
  after(() => c.close());

  /** A code flow for the Invoices API; the access token's claims. */
  async function invoicesToken() {
    const config = await c.t.rp(app);
    const req = await authRequest(config, app, { resource: INVOICES, scope: 'openid email read:invoices' });
    const landing = await authorize(new HttpAgent(), req.url, user, { consent: 'allow' });
    const tokens = await client.authorizationCodeGrant(config, callbackOf(landing, req.redirectUri), {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    return decodeJwt(tokens.access_token);
  }

  test('a role made in the UI, with a permission added in the UI, is in the next token', async () => {
    assert.deepEqual((await invoicesToken()).roles ?? [], [], 'no role yet');
    const page = await c.open('/t/default/roles');
    await page.getByRole('button', { name: 'Create role' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('has space');
    assert.equal(await dialog.getByText('1 to 64 letters').count(), 1, 'refused before it is sent');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('billing');
    await dialog.getByRole('textbox', { name: 'Description' }).fill('Reads invoices');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: /^billing/ }).click();
    await page.getByRole('combobox', { name: 'Add a permission' }).click();
    await page.getByRole('option', { name: 'read:invoices' }).click();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: `Remove read:invoices of ${INVOICES} from billing` }).waitFor();
    const role = await c.call('GET', '/v2/admin/tenants/default/roles/billing');
    assert.deepEqual(role.body.permissions, [{ resource: INVOICES, permission: 'read:invoices' }]);
    assert.equal(role.body.description, 'Reads invoices');

    const given = await c.call('POST', `/v2/admin/tenants/default/users/${userId}/roles`, {
      roles: ['billing'],
    });
    assert.equal(given.status, 200, JSON.stringify(given.body));
    const claims = await invoicesToken();
    assert.deepEqual(claims.roles, ['billing']);
    assert.equal(claims.scope, 'read:invoices', 'the permission added in the UI');

    // Removed in the UI: the next token no longer has the permission.
    await page.getByRole('button', { name: `Remove read:invoices of ${INVOICES} from billing` }).click();
    await page.getByText('None yet.').first().waitFor();
    const after = await invoicesToken();
    assert.deepEqual(after.roles, ['billing']);
    const scope = typeof after.scope === 'string' ? after.scope : '';
    assert.ok(!scope.split(' ').includes('read:invoices'), `scope: ${scope}`);
    await page.close();
  });

  test('rename, delete (confirmed); a system role cannot be deleted', async () => {
    await c.call('POST', '/v2/admin/tenants/default/roles', { name: 'clerk' });
    const page = await c.open('/t/default/roles');
    await page.getByRole('button', { name: /^owner/ }).click();
    const ownerDelete = page.getByRole('button', { name: 'Delete role' }).first();
    assert.equal(await ownerDelete.isDisabled(), true, 'a system role');
    await page.getByRole('button', { name: /^owner/ }).click();

    await page.getByRole('button', { name: /^clerk/ }).click();
    await page.getByRole('button', { name: 'Rename or describe' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('cashier');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: /^cashier/ }).waitFor();
    assert.equal((await c.call('GET', '/v2/admin/tenants/default/roles/clerk')).status, 404);
    await page.getByRole('button', { name: /^cashier/ }).click();
    await page.getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete role' }).click();
    await page.getByRole('button', { name: /^cashier/ }).waitFor({ state: 'detached' });
    assert.equal((await c.call('GET', '/v2/admin/tenants/default/roles/cashier')).status, 404);
    await page.close();
  });

  test('APIs: create, add and remove permissions, allow an application, delete', async () => {
    const page = await c.open('/t/default/roles?tab=apis');
    await page.getByRole('button', { name: 'Create API' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /^Name/ }).fill('Reports API');
    await dialog.getByRole('textbox', { name: /^Identifier/ }).fill('http://reports.example.com');
    assert.equal(await dialog.getByText('An https:// URL or a urn:.').count(), 1);
    await dialog.getByRole('textbox', { name: /^Identifier/ }).fill('urn:example:reports');
    const tags = dialog.getByRole('combobox', { name: 'Permissions' });
    await tags.fill('read:reports');
    await tags.press('Enter');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: /^Reports API/ }).click();
    const add = page.getByRole('combobox', { name: 'Add permissions' });
    await add.fill('export:reports');
    await add.press('Enter');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('button', { name: 'Remove the permission export:reports' }).waitFor();
    await page.getByRole('button', { name: 'Remove the permission read:reports' }).click();
    await page
      .getByRole('button', { name: 'Remove the permission read:reports' })
      .waitFor({ state: 'detached' });

    await page.getByRole('combobox', { name: 'Allow an application' }).click();
    await page.getByRole('option', { name: `Billing portal (${app.clientId})` }).click();
    await page.getByRole('combobox', { name: 'With permissions' }).click();
    await page.getByRole('option', { name: 'export:reports' }).click();
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.getByRole('cell', { name: new RegExp(app.clientId) }).waitFor();

    const list = (await c.call('GET', '/v2/admin/tenants/default/resources')).body.resources as {
      id: string;
      identifier: string;
    }[];
    const reports = list.find((r) => r.identifier === 'urn:example:reports')!;
    const detail = await c.call('GET', `/v2/admin/tenants/default/resources/${reports.id}`);
    assert.deepEqual(detail.body.permissions, ['export:reports']);
    assert.deepEqual(
      (detail.body.clients as { client_id: string; permissions: string[] }[]).map((x) => [
        x.client_id,
        x.permissions,
      ]),
      [[app.clientId, ['export:reports']]],
    );
    await assertAccessible(page, 'an API open');
    await consoleScreenshot(page, 'roles-api');

    await page.getByRole('button', { name: 'Delete API' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete API' }).click();
    await page.getByRole('button', { name: /^Reports API/ }).waitFor({ state: 'detached' });
    assert.equal((await c.call('GET', `/v2/admin/tenants/default/resources/${reports.id}`)).status, 404);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    await c.call('POST', '/v2/admin/tenants/default/roles', {
      name: 'auditor',
      description: 'Reads everything',
    });
    await c.call('POST', '/v2/admin/tenants/default/roles/auditor/permissions', {
      permissions: [{ resource: INVOICES, permission: 'read:invoices' }],
    });
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/roles', { width });
      await page.getByRole('button', { name: /^auditor/ }).click();
      await page.getByRole('combobox', { name: 'Add a permission' }).waitFor();
      await assertAccessible(page, `roles at ${width}px`);
      await consoleScreenshot(page, 'roles');
      await page.getByRole('tab', { name: 'APIs' }).click();
      await page.getByRole('button', { name: /^Invoices API/ }).click();
      await page.getByRole('combobox', { name: 'Allow an application' }).waitFor();
      await assertAccessible(page, `APIs at ${width}px`);
      await consoleScreenshot(page, 'roles-apis');
      await page.close();
    }
  });
});
