// A tenant's branding, set through the admin API, as a real browser renders the hosted pages: the
// background and primary colours, the logo, the custom CSS (the safe subset), at a phone's width (390 px)
// and a desktop's (1280 px), without horizontal scrolling; and sign-up off removes the link. Screenshots
// land in test-results/screenshots/tenant-branding-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, sharedBrowser, unlessChromium } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/app.js';

// A 64×64 logo served for the https URL (the browser has no network): a teal square with a white "A".
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="48" viewBox="0 0 160 48"><rect width="160" height="48" rx="10" fill="#0f766e"/><text x="80" y="32" font-family="sans-serif" font-size="22" font-weight="700" fill="#fff" text-anchor="middle">ACME</text></svg>`;

describe('tenant branding in Chromium', { skip: unlessChromium() }, () => {
  let t: TestApp;
  const browser = sharedBrowser();
  let auth: Record<string, string>;

  before(async () => {
    t = await startTestApp();
    auth = { authorization: `Bearer ${(await t.app.services.admins.create('brand@example.com')).token}` };
    const created = await t.post(
      '/v2/admin/tenants',
      {
        slug: 'acme',
        name: 'Acme',
        settings: {
          branding: {
            display_name: 'Acme Workspace',
            logo_url: 'https://cdn.acme.example/logo.svg',
            primary_color: '#0f766e',
            background_color: '#ecfdf5',
            custom_css:
              'main { border-radius: 20px; border-color: #99f6e4 } h1 { letter-spacing: -0.01em; color: #134e4a } .brand-name { text-transform: uppercase; letter-spacing: 0.08em }',
          },
        },
      },
      auth,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  after(async () => {
    await browser.close();
    await t.close();
  });

  for (const width of [390, 1280]) {
    test(`the sign-in page at ${width} px carries the tenant's look`, async () => {
      const context = await (await browser.get()).newContext({ viewport: { width, height: 900 } });
      try {
        const page = await context.newPage();
        await page.route('https://cdn.acme.example/**', (route) =>
          route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }),
        );
        const response = await page.goto(`${t.base}/t/acme/login`);
        assert.equal(response?.status(), 200);
        // A string, not a function: the test transpiler's helpers (__name) do not exist in the page.
        const look = await page.evaluate<{
          background: string;
          button: string;
          radius: string;
          brandCase: string;
          logoLoaded: boolean;
          overflow: number;
        }>(
          `(() => {
          const style = (selector) => getComputedStyle(document.querySelector(selector));
          const logo = document.querySelector('.brand img');
          return {
            background: style('body').backgroundColor,
            button: style('form[action$="/login"] button[type=submit]').backgroundColor,
            radius: style('main').borderTopLeftRadius,
            brandCase: style('.brand-name').textTransform,
            logoLoaded: Boolean(logo && logo.complete && logo.naturalWidth > 0),
            overflow: document.documentElement.scrollWidth - window.innerWidth,
          };
        })()`,
        );
        assert.equal(look.background, 'rgb(236, 253, 245)', 'background_color');
        assert.equal(look.button, 'rgb(15, 118, 110)', 'primary_color on the button');
        assert.equal(look.radius, '20px', 'custom CSS');
        assert.equal(look.brandCase, 'uppercase', 'custom CSS');
        assert.ok(look.logoLoaded, 'the logo loads (https)');
        assert.ok(look.overflow <= 0, `no horizontal scrolling (${look.overflow} px too wide)`);
        await screenshot(page, `tenant-branding-login-${width}`);
      } finally {
        await context.close();
      }
    });
  }

  test('sign-up off: the sign-in page has no "Create an account" link (390 px)', async () => {
    const patch = await fetch(`${t.base}/v2/admin/tenants/acme`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ settings: { sign_up: { enabled: false } } }),
    });
    assert.equal(patch.status, 200);
    const context = await (await browser.get()).newContext({ viewport: { width: 390, height: 900 } });
    try {
      const page = await context.newPage();
      await page.route('https://cdn.acme.example/**', (route) =>
        route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }),
      );
      await page.goto(`${t.base}/t/acme/login`);
      assert.equal(await page.getByRole('link', { name: 'Create an account' }).count(), 0);
      await screenshot(page, 'tenant-branding-login-signup-off-390');
      const register = await page.goto(`${t.base}/t/acme/register`);
      assert.equal(register?.status(), 404);
    } finally {
      await context.close();
    }
  });
});
