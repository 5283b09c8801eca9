// The start page of an issuer (GET / and GET /t/{slug}/): an HTML page that says what this is, shows the
// issuer, links to what exists (each link followed here: none may be a 404) and how to create a first client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, sharedBrowser, unlessChromium } from '../support/browser.js';
import { HttpAgent, startOidcApp, type OidcTestApp } from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
  await t.createTenant('acme', 'Acme Corp');
});
after(() => t.close());

/** The links of a page, resolved against its URL. */
function linksOf(html: string, base: string): URL[] {
  return [...html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map(
    (m) => new URL(m[1]!.replace(/&amp;/g, '&'), base),
  );
}

describe('the start page', () => {
  for (const tenant of ['default', 'acme']) {
    test(`GET ${tenant === 'default' ? '/' : '/t/acme/'} is an HTML page with the issuer and working links`, async () => {
      const issuer = t.issuer(tenant);
      const url = tenant === 'default' ? `${t.base}/` : `${issuer}/`;
      const response = await fetch(url, { headers: { accept: 'text/html' } });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      // The pages' headers: their CSP, never framed, not cached.
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'none'/);
      assert.match(response.headers.get('cache-control') ?? '', /no-store/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      const html = await response.text();
      assert.ok(html.includes(issuer), `the issuer ${issuer} is shown`);
      assert.doesNotMatch(html, /<script/i, 'no JavaScript');
      assert.match(html, /hellojohn clients create/, 'the CLI command for a first client');
      assert.match(
        html,
        new RegExp(`/v2/admin/tenants/${tenant}/clients`),
        'the admin API for a first client',
      );
      if (tenant === 'acme') assert.match(html, /--tenant acme/, 'the command names the tenant');

      const links = linksOf(html, url);
      const paths = links.map((l) => l.pathname);
      const prefix = tenant === 'default' ? '' : '/t/acme';
      for (const expected of [
        '/.well-known/openid-configuration',
        '/.well-known/jwks.json',
        '/login',
        '/register',
      ]) {
        assert.ok(
          paths.includes(`${prefix}${expected}`),
          `links to ${prefix}${expected}: ${paths.join(' ')}`,
        );
      }
      for (const link of links) {
        if (link.origin !== t.base) continue;
        const target = await new HttpAgent().request(link);
        await target.body?.cancel();
        assert.ok(target.status < 400, `${link.pathname} answers ${target.status}`);
      }
      // The discovery document the page points at names the same issuer.
      const discovery = links.find((l) => l.pathname.endsWith('/openid-configuration'))!;
      const doc = (await (await fetch(discovery)).json()) as { issuer: string };
      assert.equal(doc.issuer, issuer);
    });
  }

  test('HEAD / answers too, and an unknown tenant is an HTML 404 page', async () => {
    assert.equal((await fetch(`${t.base}/`, { method: 'HEAD' })).status, 200);
    const missing = await fetch(`${t.base}/t/nope/`, { headers: { accept: 'text/html' } });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^text\/html/);
  });
});

describe('the start page in Chromium', { skip: unlessChromium() }, () => {
  const browser = sharedBrowser();
  after(() => browser.close());

  test('readable at 390 and 1280 px without JavaScript; screenshots', async () => {
    for (const width of [390, 1280]) {
      const context = await (
        await browser.get()
      ).newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        await page.goto(`${t.base}/`);
        assert.equal(await page.getByRole('heading', { level: 1 }).count(), 1);
        // Nothing wider than the screen (a long issuer or command scrolls inside its own box).
        // (A string, so the test needs no DOM types: it runs in the page.)
        const overflow = await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        );
        assert.equal(overflow, 0, `no horizontal scrolling at ${width} px`);
        await screenshot(page, `home-${width}`);
        await page
          .getByRole('link', { name: /sign in/i })
          .first()
          .click();
        assert.equal(new URL(page.url()).pathname, '/login');
      } finally {
        await context.close();
      }
    }
  });
});
