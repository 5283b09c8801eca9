// Hosted page views: the layout and the per-tenant branding (untrusted JSON in tenant.settings.branding).
// Every assert.ok has a message (see test/mail/mailer.test.ts for why).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tenant } from '../../src/tenants/tenants.js';
import {
  brandingOf,
  checkedLogoUrl,
  contrast,
  layout,
  markup,
  paletteOf,
} from '../../src/http/views/layout.js';
import { scan, scriptFree, skeleton } from './scan.js';

const HOSTILE = `Evil"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;

function tenant(name: string, branding?: unknown): Tenant {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    slug: 'acme',
    name,
    settings: branding === undefined ? {} : { branding },
    issuer: 'https://id.example.com/t/acme',
  };
}

function assertInert(html: string, where: string) {
  assert.ok(!/<script/i.test(html), `${where}: no <script`);
  assert.ok(!/<img src=x/i.test(html), `${where}: no injected <img`);
  assert.ok(scriptFree(html), `${where}: no script element or event handler attribute`);
}

describe('layout', () => {
  test('is a complete, accessible document with the tenant name in the title', () => {
    const page = layout(tenant('Acme Corp'), 'Sign in', markup`<p>hello</p>`);
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.match(page, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    assert.match(page, /<title>Sign in – Acme Corp<\/title>/);
    assert.match(page, /<main>[\s\S]*<h1>Sign in<\/h1>[\s\S]*<p>hello<\/p>[\s\S]*<\/main>/);
    assert.ok(!/<script|<link/i.test(page) && scriptFree(page), 'no script, external asset or event handler');
  });

  test('escapes a hostile tenant name and title', () => {
    const page = layout(tenant(HOSTILE), HOSTILE, markup`<p>x</p>`);
    assertInert(page, 'layout');
    assert.deepEqual(skeleton(page), skeleton(layout(tenant('Acme'), 'Title', markup`<p>x</p>`)));
    assert.ok(
      page.includes('Evil&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'),
      'escaped name present',
    );
    assert.ok(page.includes('&amp;amp;'), 'an entity in input is shown literally, not decoded');
    const title = scan(page).text;
    assert.ok(title.includes(`${HOSTILE} – ${HOSTILE}`), 'the title text round-trips exactly');
  });

  test('without a tenant (error before the tenant is known) uses the product name', () => {
    assert.match(layout(null, 'Error', ''), /<title>Error – HelloJohn<\/title>/);
  });

  test('keeps the old contract: string content is markup the caller vouches for', () => {
    assert.match(layout(tenant('Acme'), 'T', '<p id="x">y</p>'), /<p id="x">y<\/p>/);
  });
});

describe('branding', () => {
  test('defaults when there is no branding, or it is not an object', () => {
    for (const branding of [undefined, null, 'x', 42, ['#fff'], true]) {
      assert.deepEqual(brandingOf(tenant('Acme', branding)), { name: 'Acme' }, JSON.stringify(branding));
    }
  });

  test('display_name overrides the tenant name, on one line, escaped', () => {
    assert.equal(brandingOf(tenant('Acme', { display_name: '  Acme\n\tLogin  ' })).name, 'Acme Login');
    assert.equal(brandingOf(tenant('Acme', { display_name: '   ' })).name, 'Acme', 'blank is ignored');
    assert.equal(brandingOf(tenant('Acme', { display_name: 42 })).name, 'Acme', 'non-string is ignored');
    assert.equal(brandingOf(tenant('Acme', { display_name: 'x'.repeat(500) })).name.length, 100);
    const page = layout(tenant('Acme', { display_name: HOSTILE }), 'Sign in', '');
    assertInert(page, 'display_name');
    assert.ok(page.includes('<title>Sign in – Evil&quot;&#39;&gt;&lt;script&gt;'), 'escaped in the title');
    assert.ok(!page.includes('Acme'), 'display_name replaces the tenant name everywhere');
  });

  test('primary_color: only #rgb or #rrggbb', () => {
    for (const ok of ['#abc', '#ABC', '#a1B2c3', '#000000']) {
      assert.equal(brandingOf(tenant('A', { primary_color: ok })).primaryColor, ok, ok);
    }
    const bad = [
      'red',
      'abc',
      '#abcd',
      '#12345g',
      '#1234567',
      ' #fff',
      '#fff ',
      '#fff\n',
      '#fff;}</style><script>alert(1)</script>',
      'rgb(0,0,0)',
      'var(--x)',
      123,
      ['#fff'],
      null,
    ];
    for (const value of bad) {
      const t = tenant('A', { primary_color: value });
      assert.equal(brandingOf(t).primaryColor, undefined, JSON.stringify(value));
      const page = layout(t, 'T', '');
      assert.ok(page.includes('--primary:#1d4ed8;'), `default colour for ${JSON.stringify(value)}`);
      assertInert(page, JSON.stringify(value));
    }
  });

  test('primary_color is used on buttons and, when readable, links', () => {
    const page = layout(tenant('A', { primary_color: '#0f766e' }), 'T', '');
    assert.ok(
      page.includes('--primary:#0f766e;--on-primary:#ffffff;--link:#0f766e'),
      'dark colour: white text',
    );
    const light = layout(tenant('A', { primary_color: '#fde047' }), 'T', '');
    assert.ok(
      light.includes('--primary:#fde047;--on-primary:#000000;--link:#1d4ed8'),
      'light colour: black text',
    );
  });

  test('button text has at least 4.5:1 contrast whatever the colour', () => {
    for (let r = 0; r < 16; r += 3) {
      for (let g = 0; g < 16; g += 3) {
        for (let b = 0; b < 16; b += 3) {
          const color = `#${r.toString(16)}${g.toString(16)}${b.toString(16)}`;
          const p = paletteOf(color);
          assert.ok(contrast(p.primary, p.onPrimary) >= 4.5, `button contrast for ${color}`);
          assert.ok(contrast(p.link, '#ffffff') >= 4.5, `link contrast for ${color}`);
        }
      }
    }
  });

  test('logo_url: absolute https only (what the CSP img-src allows), at most 2000 characters', () => {
    const accepted = [
      'https://cdn.example.com/logo.png',
      'https://cdn.example.com/logo.svg?v=2#x',
      'https://localhost:3000/logo.png',
      `https://cdn.example.com/${'a'.repeat(2000 - 24)}`,
    ];
    for (const url of accepted) assert.equal(checkedLogoUrl(url), url, url);
    const rejected = [
      'http://cdn.example.com/logo.png',
      'http://localhost:3000/logo.png',
      'http://127.0.0.1/logo.png',
      'http://[::1]:8080/logo.png',
      'http://localhost.evil.com/logo.png',
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:image/svg+xml,<svg onload=alert(1)>',
      'vbscript:x',
      'ftp://example.com/logo.png',
      '//cdn.example.com/logo.png',
      '/logo.png',
      'logo.png',
      'https://user:pass@cdn.example.com/logo.png',
      `https://cdn.example.com/${'a'.repeat(2000 - 23)}`,
      '',
      42,
      null,
      { href: 'https://x.example/' },
    ];
    for (const url of rejected) assert.equal(checkedLogoUrl(url), undefined, JSON.stringify(url));
  });

  test('the logo is an <img> with an escaped alt text; a rejected logo renders nothing', () => {
    const page = layout(
      tenant('Acme', { logo_url: 'https://cdn.example.com/l.png', display_name: 'A&B' }),
      'T',
      '',
    );
    const img = scan(page).tags.find((t) => t.name === 'img');
    assert.deepEqual(img?.attrs, {
      src: 'https://cdn.example.com/l.png',
      alt: 'A&B logo',
      referrerpolicy: 'no-referrer',
    });
    assert.ok(page.includes('alt="A&amp;B logo"'), 'alt escaped');
    const none = layout(tenant('Acme', { logo_url: 'javascript:alert(1)' }), 'T', '');
    assert.ok(!none.includes('<img') && !none.includes('javascript'), 'no img for a rejected logo');
  });

  test('a logo URL with quotes or markup cannot break out of the attribute', () => {
    const page = layout(
      tenant(HOSTILE, { logo_url: `https://cdn.example.com/x"onerror="alert(1)'><script>alert(2)</script>` }),
      'T',
      '',
    );
    assertInert(page, 'logo');
    const img = scan(page).tags.find((t) => t.name === 'img');
    assert.deepEqual(Object.keys(img?.attrs ?? {}).sort(), ['alt', 'referrerpolicy', 'src']);
    assert.equal(img?.attrs['alt'], `${HOSTILE} logo`);
  });
});
