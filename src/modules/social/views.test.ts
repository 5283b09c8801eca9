// Social sign-in's HTML without a server: the sign-in page's buttons (a hostile label or provider name is
// text; a colour that is not a colour is dropped; the authorization in progress rides along), and the
// account page's card.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forms, scan, scriptFree, skeleton } from '../../../test/views/scan.js';
import type { PageContext } from '../../http/views/layout.js';
import { loginPage } from '../../http/views/pages.js';
import type { Tenant } from '../../tenants/tenants.js';
import { connectedAccountsCard, loginButtons } from './views.js';

const X = `Evil"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;
const tenant: Tenant = { id: 't1', slug: 'acme', name: 'Acme', settings: {}, issuer: 'https://id/t/acme' };
const ctx: PageContext = { tenant, csrfToken: 'csrf-123', basePath: '/t/acme' };

describe('the sign-in page with social buttons', () => {
  test('each provider a link with its mark and colours, carrying the interaction; hostile labels are text', () => {
    const buttons = loginButtons([
      { id: 'google', kind: 'google', label: 'Google' },
      { id: 'acme-sso', kind: 'oidc', label: X },
      { id: 'github', kind: 'github', label: 'GitHub' },
    ]);
    const html = loginPage(ctx, { interaction: 'i-1', buttons });
    const links = scan(html).tags.filter((t) => t.name === 'a' && t.attrs.class === 'button alt');
    assert.deepEqual(
      links.map((l) => l.attrs.href),
      [
        '/t/acme/v2/auth/social/google/start?interaction=i-1',
        '/t/acme/v2/auth/social/acme-sso/start?interaction=i-1',
        '/t/acme/v2/auth/social/github/start?interaction=i-1',
      ],
    );
    assert.match(links[2]!.attrs.style ?? '', /background:#24292f/);
    assert.ok(scan(html).text.includes(X), 'the hostile label shows as text');
    assert.ok(scriptFree(html));
    // The same structure whatever the label.
    const plain = loginPage(ctx, {
      interaction: 'i-1',
      buttons: loginButtons([
        { id: 'google', kind: 'google', label: 'Google' },
        { id: 'acme-sso', kind: 'oidc', label: 'Acme' },
        { id: 'github', kind: 'github', label: 'GitHub' },
      ]),
    });
    assert.deepEqual(skeleton(html), skeleton(plain));
  });

  test('a colour that is not #rgb/#rrggbb is dropped; without an interaction, return_to rides along', () => {
    const html = loginPage(ctx, {
      returnTo: '/account',
      buttons: [
        {
          id: 'x',
          href: '/x',
          label: 'X',
          colors: { background: 'red;background-image:url(//evil)', text: '#fff' },
        },
      ],
    });
    const link = scan(html).tags.find((t) => t.name === 'a' && t.attrs.class === 'button alt')!;
    assert.equal(link.attrs.style, undefined);
    assert.equal(link.attrs.href, '/t/acme/x?return_to=%2Faccount');
    assert.doesNotMatch(loginPage(ctx, {}), /class="alts/, 'no buttons: no block, no "or"');
  });
});

describe('the account page card', () => {
  const providers = [
    { id: 'google', kind: 'google' as const, label: 'Google' },
    { id: 'github', kind: 'github' as const, label: 'GitHub' },
  ];
  const linked = [
    { method: 'google', id: 's', label: `Google (${X})`, createdAt: new Date(), lastUsedAt: null },
  ];
  const args = {
    providers,
    linked,
    recentSignIn: true,
    reauthenticateHref: '/t/acme/login?return_to=/account',
  };

  test('Disconnect for a linked one, Connect for the others, with the CSRF token', () => {
    const html = connectedAccountsCard(ctx, { ...args, total: 2 }).value;
    const posted = forms(html).map((f) => [
      f.action,
      f.inputs.find((i) => i.attrs.name === 'provider')?.attrs.value,
    ]);
    assert.deepEqual(posted, [
      ['/t/acme/account/social/unlink', 'google'],
      ['/t/acme/account/social/link', 'github'],
    ]);
    for (const f of forms(html)) assert.ok(f.inputs.some((i) => i.attrs.name === 'csrf_token'));
    assert.ok(scan(html).text.includes(X));
  });

  test('the only way to sign in shows no Disconnect; without a recent sign-in, no forms', () => {
    const only = connectedAccountsCard(ctx, { ...args, total: 1 }).value;
    assert.deepEqual(
      forms(only).map((f) => f.action),
      ['/t/acme/account/social/link'],
    );
    assert.match(only, /Only way to sign in/);
    const stale = connectedAccountsCard(ctx, { ...args, total: 2, recentSignIn: false }).value;
    assert.deepEqual(forms(stale), []);
    assert.match(stale, /confirm it’s you/);
  });
});
