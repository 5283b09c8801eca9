// The account page's HTML without a server: hostile values (a name, a user agent, a module's section
// title) are shown as text, never markup; every input has a label; every form carries the CSRF token.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forms, scan, scriptFree, skeleton } from '../../../test/views/scan.js';
import { markup, type PageContext } from '../../http/views/layout.js';
import type { Tenant } from '../../tenants/tenants.js';
import { deviceOf } from './device.js';
import type { AccountOverview } from './service.js';
import { accountPage, type AccountPageView } from './views.js';

const X = `Evil"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;
const tenant: Tenant = {
  id: 'a6b1c1de-0000-4000-8000-000000000001',
  slug: 'acme',
  name: 'Acme',
  settings: {},
  issuer: 'https://id/t/acme',
};
const ctx: PageContext = { tenant, csrfToken: 'csrf-123', basePath: '/t/acme' };
const now = new Date('2025-01-01T12:00:00Z');

function view(text: string, overrides: Partial<AccountOverview> = {}): AccountPageView {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  return {
    account: {
      user: { id: 'u1', email: `${text}@example.com`, emailVerified: true, name: text },
      hasPassword: true,
      recentSignIn: true,
      sessions: [
        {
          id: 's1',
          device: text,
          ip: text,
          clientId: null,
          createdAt: at(3),
          lastSeenAt: at(0),
          current: true,
        },
        {
          id: 's2',
          device: text,
          ip: text,
          clientId: text,
          createdAt: at(3000),
          lastSeenAt: at(90),
          current: false,
        },
      ],
      ...overrides,
    },
    passwordHints: [text],
    reauthenticateHref: '/t/acme/login?return_to=/account',
    sections: [{ id: 'mfa', title: text, body: markup`<p>${text}</p>` }],
    notice: text,
    error: { card: 'password', message: text },
    name: text,
    now,
  };
}

describe('the account page view', () => {
  test('hostile values are text: same markup as harmless ones', () => {
    const hostile = accountPage(ctx, view(X));
    assert.ok(scriptFree(hostile) && !/<script|<img src=x/i.test(hostile));
    assert.deepEqual(skeleton(hostile), skeleton(accountPage(ctx, view('Ada'))));
    assert.ok(scan(hostile).text.split(X).length - 1 >= 8, 'shown literally');
  });

  test('every input has a label, every form posts with the CSRF token to a page of ours', () => {
    for (const v of [
      view('Ada'),
      view('Ada', { recentSignIn: false }),
      view('Ada', { hasPassword: false }),
      view('Ada', { hasPassword: false, recentSignIn: false }),
    ]) {
      const html = accountPage(ctx, v);
      const { tags } = scan(html);
      const labels = new Set(tags.filter((t) => t.name === 'label').map((t) => t.attrs['for']));
      for (const input of tags.filter((t) => t.name === 'input' && t.attrs['type'] !== 'hidden'))
        assert.ok(labels.has(input.attrs['id']), `input ${input.attrs['id']} has a label`);
      const ids = tags.map((t) => t.attrs['id']).filter(Boolean);
      assert.equal(new Set(ids).size, ids.length, 'ids are unique');
      for (const f of forms(html)) {
        assert.equal(f.method, 'post');
        assert.match(f.action, /^\/t\/acme\/(account\/|logout$)/);
        assert.ok(f.inputs.some((i) => i.attrs['name'] === 'csrf_token' && i.attrs['value'] === 'csrf-123'));
      }
    }
  });

  test('the password form only with a recent sign-in; without a password, "Set a password" with no current one', () => {
    const posts = (v: AccountPageView) => forms(accountPage(ctx, v)).map((f) => f.action);
    assert.ok(posts(view('Ada')).includes('/t/acme/account/password'));
    const stale = accountPage(ctx, view('Ada', { recentSignIn: false }));
    assert.ok(!forms(stale).some((f) => f.action === '/t/acme/account/password'));
    assert.match(stale, /href="\/t\/acme\/login\?return_to=\/account">Confirm it’s you/);
    const changeForm = forms(accountPage(ctx, view('Ada'))).find((f) => f.action.endsWith('/password'))!;
    assert.ok(changeForm.inputs.some((i) => i.attrs['name'] === 'current_password'));
    const none = accountPage(ctx, view('Ada', { hasPassword: false }));
    const setForm = forms(none).find((f) => f.action === '/t/acme/account/password');
    assert.ok(setForm, 'a form to set a password');
    assert.deepEqual(
      setForm.inputs.filter((i) => i.attrs['type'] === 'password').map((i) => i.attrs['name']),
      ['new_password', 'confirm'],
      'no current password asked',
    );
    assert.match(none, /<h2[^>]*>Set a password<\/h2>/);
    assert.match(none, />Set password<\/button>/);
    const noneStale = accountPage(ctx, view('Ada', { hasPassword: false, recentSignIn: false }));
    assert.ok(!forms(noneStale).some((f) => f.action === '/t/acme/account/password'));
    assert.match(noneStale, /before you set your password/);
    assert.match(noneStale, /Confirm it’s you/);
  });

  test('devices in plain words', () => {
    const cases: [string | null, string][] = [
      [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
        'Safari on macOS',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
        'Edge on Windows',
      ],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Firefox on Linux'],
      [
        'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
        'Chrome on Android',
      ],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0 Mobile/15E148 Safari/604.1',
        'Chrome on iPhone',
      ],
      ['curl/8.5.0', 'curl'],
      ['something else', 'Unknown device'],
      [null, 'Unknown device'],
    ];
    for (const [ua, expected] of cases) assert.equal(deviceOf(ua), expected, String(ua));
  });
});
