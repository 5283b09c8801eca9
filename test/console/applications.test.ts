// The Applications screens in Chromium: the create wizard (web and single-page apps) whose shown values
// (discovery URL, client id, secret) complete a real openid-client login; editing the redirect URIs;
// rotating the secret (the old one is refused at the token endpoint); deleting by typing the client id;
// axe and screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { unlessChromium } from '../support/browser.js';
import {
  HttpAgent,
  oauthError,
  signIn,
  tokenRequest,
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

const DISCOVERY = '/.well-known/openid-configuration';

/** A read-only field's value, by its label (CopyField). */
const field = (page: Page, label: string) =>
  page.getByRole('textbox', { name: label, exact: true }).inputValue();

describe('console: applications', { skip: unlessChromium() || unlessConsoleBuilt() }, () => {
  let c: ConsoleTest;
  let user: TestUser;
  before(async () => {
    c = await startConsoleTest();
    user = await c.t.createUser();
  });
  after(() => c.close());

  /** Runs the wizard for `kind` and returns the values step 3 shows (screenshots each step at `width`). */
  async function wizard(kind: string, name: string, redirectUri: string, width = 1280) {
    const page = await c.open('/t/default/applications', { width });
    await page.getByRole('link', { name: 'Create application' }).first().click();
    await page.waitForURL(/\/applications\/new$/);
    const next = page.getByRole('button', { name: 'Next' });
    assert.equal(await next.isDisabled(), true, 'no kind picked yet');
    await page.getByRole('radio', { name: kind }).check();
    await consoleScreenshot(page, 'application-new-type');
    await next.click();

    const redirects = page.getByRole('textbox', { name: /^Redirect URIs/ });
    await page.getByRole('textbox', { name: /^Name/ }).fill(name);
    // Refused before it is sent: plain http on a public host.
    await redirects.fill('http://app.example.com/cb');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.getByText('uses http: only localhost may, use https').waitFor();
    await consoleScreenshot(page, 'application-new-details');
    await redirects.fill(redirectUri);
    await page.getByRole('button', { name: 'Create application' }).click();

    await page.getByRole('heading', { name: `${name} is ready` }).waitFor();
    const discovery = await field(page, 'Discovery URL');
    const clientId = await field(page, 'Client ID');
    const secret = (await page.getByRole('textbox', { name: 'Client secret' }).count())
      ? await field(page, 'Client secret')
      : null;
    const snippet = (await page.locator('[aria-label^="Code for "]').first().textContent()) ?? '';
    await assertAccessible(page, `wizard result at ${width}px`);
    await consoleScreenshot(page, 'application-new-result');
    return { page, discovery, clientId, secret, snippet };
  }

  const testClient = (
    shown: { discovery: string; clientId: string; secret: string | null },
    redirectUri: string,
  ): TestClient => ({
    tenant: 'default',
    issuer: shown.discovery.slice(0, -DISCOVERY.length),
    clientId: shown.clientId,
    clientSecret: shown.secret,
    type: shown.secret ? 'confidential' : 'public',
    tokenEndpointAuthMethod: shown.secret ? 'client_secret_basic' : 'none',
    idTokenSignedResponseAlg: 'RS256',
    redirectUri,
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [],
  });

  test('web app: the wizard shows what a real login needs; rotating the secret retires the old one', async () => {
    const redirectUri = c.t.redirectUri();
    const shown = await wizard('Web app', 'Billing portal', redirectUri);
    assert.ok(shown.discovery.endsWith(DISCOVERY), shown.discovery);
    assert.equal(shown.discovery, `${c.t.issuer()}${DISCOVERY}`);
    assert.ok(shown.secret, 'a web app gets a secret, shown once');
    assert.ok(
      shown.snippet.includes(shown.clientId),
      `the snippet carries the real client id: ${shown.snippet}`,
    );
    assert.ok(shown.snippet.includes(c.t.issuer()), 'and the real issuer');
    const registered = await c.call('GET', `/v2/admin/tenants/default/clients/${shown.clientId}`);
    assert.equal(registered.body.type, 'confidential');
    assert.deepEqual(registered.body.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(registered.body.client_secret, undefined, 'the API never shows it again');

    // openid-client, configured only from what the page showed, completes a login.
    const web = testClient(shown, redirectUri);
    const { claims } = await signIn(new HttpAgent(), await c.t.rp(web), web, user);
    assert.equal(claims.email, user.email);
    assert.equal(claims.aud, shown.clientId);

    // The application page: rotate (confirmed), the new secret shown once.
    await shown.page.getByRole('link', { name: 'Open the application' }).click();
    await shown.page.waitForURL(new RegExp(`/applications/${shown.clientId}$`));
    await shown.page.getByRole('heading', { name: 'Billing portal', exact: true }).waitFor();
    assert.equal(await shown.page.getByRole('textbox', { name: 'Client secret' }).count(), 0);
    await shown.page.getByRole('button', { name: 'Rotate secret' }).click();
    await shown.page.getByRole('dialog').getByRole('button', { name: 'Rotate secret' }).click();
    const secretField = shown.page.getByRole('textbox', { name: 'Client secret', exact: true });
    await secretField.waitFor();
    const rotated = await secretField.inputValue();
    assert.notEqual(rotated, shown.secret);

    // The old secret is refused at the token endpoint; the new one authenticates (the code is what is bad).
    const form = { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: redirectUri };
    const old = await tokenRequest(web, form, shown.secret);
    assert.equal(old.status, 401, old.text);
    assert.equal(old.body.error, 'invalid_client');
    const fresh = await tokenRequest(web, form, rotated);
    assert.equal(fresh.body.error, 'invalid_grant', fresh.text);
    assert.equal(
      (await oauthError(signIn(new HttpAgent(), await c.t.rp(web), web, user))).error,
      'invalid_client',
    );
    const renewed = { ...web, clientSecret: rotated };
    assert.equal(
      (await signIn(new HttpAgent(), await c.t.rp(renewed), renewed, user)).claims.email,
      user.email,
    );
    await shown.page.close();
  });

  test('single-page app: public, PKCE, no secret; a login with the shown values', async () => {
    const redirectUri = c.t.redirectUri();
    const shown = await wizard('Single-page app', 'Storefront', redirectUri);
    assert.equal(shown.secret, null, 'no secret for a browser app');
    assert.match(shown.snippet, /react-oidc-context|oidc-client-ts/);
    const spa = testClient(shown, redirectUri);
    const registered = await c.call('GET', `/v2/admin/tenants/default/clients/${shown.clientId}`);
    assert.equal(registered.body.token_endpoint_auth_method, 'none');
    const { claims } = await signIn(new HttpAgent(), await c.t.rp(spa), spa, user);
    assert.equal(claims.email, user.email);
    await shown.page.close();
  });

  test('edit name and redirect URIs, then delete by typing the client id', async () => {
    const created = await c.call('POST', '/v2/admin/tenants/default/clients', {
      name: 'Old name',
      type: 'confidential',
      redirect_uris: ['https://old.example.com/cb'],
    });
    const clientId = created.body.client_id as string;
    const page = await c.open(`/t/default/applications/${clientId}`);
    const name = page.getByRole('textbox', { name: /^Name/ });
    await name.fill('New name');
    const redirects = page.getByRole('textbox', { name: /^Redirect URIs/ });
    await redirects.fill('com.example.app:/cb');
    assert.equal(
      await page.getByText('uses a custom scheme: only native apps may').count(),
      1,
      'a web app may not take a custom scheme',
    );
    await redirects.fill('https://new.example.com/cb\nhttps://new.example.com/cb2');
    await page.getByRole('textbox', { name: /^Post-logout/ }).fill('https://new.example.com/');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The application was saved.').waitFor();
    const saved = await c.call('GET', `/v2/admin/tenants/default/clients/${clientId}`);
    assert.equal(saved.body.name, 'New name');
    assert.deepEqual(saved.body.redirect_uris, ['https://new.example.com/cb', 'https://new.example.com/cb2']);
    assert.deepEqual(saved.body.post_logout_redirect_uris, ['https://new.example.com/']);

    await page.getByRole('button', { name: 'Delete application' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete application' });
    await dialog.getByRole('textbox').fill('New name');
    assert.equal(await confirm.isDisabled(), true, 'the name is not the client id');
    await dialog.getByRole('textbox').fill(clientId);
    await confirm.click();
    await page.waitForURL(/\/applications$/);
    assert.equal((await c.call('GET', `/v2/admin/tenants/default/clients/${clientId}`)).status, 404);
    await page.close();
  });

  test('accessible, and screenshots at 390 and 1280 px', async () => {
    await c.call('POST', '/v2/admin/tenants/default/clients', {
      name: 'Nightly billing job',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: [],
    });
    const list = await c.call('GET', '/v2/admin/tenants/default/clients');
    const first = (list.body.clients as { client_id: string; name: string }[]).find(
      (x) => x.name === 'Billing portal',
    )!;
    for (const width of [390, 1280]) {
      const page = await c.open('/t/default/applications', { width });
      // A table from 768 px, cards below: either way one visible link per app.
      await page.getByRole('link', { name: 'Nightly billing job' }).waitFor();
      await assertAccessible(page, `applications at ${width}px`);
      await consoleScreenshot(page, 'applications');
      await page.goto(`${c.t.base}/admin/t/default/applications/${first.client_id}`);
      await page.getByRole('heading', { name: 'Billing portal' }).waitFor();
      await page.getByRole('textbox', { name: 'Discovery URL' }).waitFor();
      await assertAccessible(page, `application at ${width}px`);
      await consoleScreenshot(page, 'application');
      await page.close();
    }
    // The wizard's steps at 390 px too (1280 px was taken by the tests above).
    const small = await wizard('Native / mobile app', 'Pocket app', 'com.example.pocket:/callback', 390);
    await small.page.close();
  });
});
