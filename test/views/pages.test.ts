// Hosted page views: form conventions (the Chromium tests and the routes rely on them), escaping of every
// interpolated field, and the form_post page's CSP hash. Every assert.ok has a message (see
// test/mail/mailer.test.ts for why).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Tenant } from '../../src/tenants/tenants.js';
import {
  FORM_POST_SCRIPT_HASH,
  SCOPE_DESCRIPTIONS,
  consentPage,
  errorPage,
  formPostPage,
  loggedOutPage,
  loginPage,
  mfaPage,
  logoutConfirmPage,
  registerPage,
  type PageContext,
} from '../../src/http/views/pages.js';
import { HOME_LINKS, homePage } from '../../src/http/views/home.js';
import { signedInPage } from '../../src/http/views/next-steps.js';
import { emailVerificationPage } from '../../src/modules/email-verification/views.js';
import { forgotPage, resetLinkDeadPage, resetPasswordPage } from '../../src/modules/password-reset/views.js';
import { forms, scan, scriptFree, skeleton, type Tag } from './scan.js';

/** The link the password-reset module adds under the sign-in form. */
const FORGOT = [{ href: '/forgot', label: 'Forgot your password?' }];
const X = `Evil"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;
const ESCAPED =
  'Evil&quot;&#39;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&amp;amp;';

function tenant(name = 'Acme', settings: Record<string, unknown> = {}): Tenant {
  return {
    id: 'a6b1c1de-0000-4000-8000-000000000001',
    slug: 'acme',
    name,
    settings,
    issuer: 'https://id/t/acme',
  };
}

const branding = { logo_url: 'https://cdn.example.com/logo.png', primary_color: '#0f766e' };
const ctx: PageContext = { tenant: tenant('Acme', { branding }), csrfToken: 'csrf-123', basePath: '/t/acme' };
const hostileCtx: PageContext = {
  tenant: tenant(X, {
    branding: { display_name: X, logo_url: `https://cdn.example.com/${X}`, primary_color: X },
  }),
  csrfToken: X,
  basePath: '/t/acme',
};

/** The second-step page with every field filled: a factor being set up, another one and a fallback. */
function mfaView(
  interaction: string,
  challenge: string,
  text: string,
  sentTo: string,
  secret: string,
  uri: string,
) {
  const factor = (id: string, label: string, fallback = false) => ({
    id,
    label,
    prompt: label === X ? X : `The code of your ${label}`,
    fallback,
    sends: true,
    digits: !fallback,
  });
  return {
    interaction,
    challenge,
    factor: factor(text === X ? X : 'totp', text === X ? X : 'Authenticator app'),
    others: [
      factor(text === X ? X : 'email_code', text === X ? X : 'Email'),
      factor(text === X ? X : 'recovery_code', text === X ? X : 'Recovery code', true),
    ],
    enroll: true,
    enrollment: {
      qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
      secret,
      uri,
      recoveryCodes: [text === X ? X : 'k3f9-a1b2-c3d4'],
    },
    stepUp: false,
    rememberDays: 30,
    sentTo,
    error: text,
  };
}

/** Each page rendered with harmless values and with hostile ones in every field. */
const pages: { name: string; benign: () => string; hostile: () => string; hostileTexts: number }[] = [
  {
    name: 'login',
    benign: () =>
      loginPage(ctx, { links: FORGOT, interaction: 'i1', email: 'a@b.c', error: 'Wrong', notice: 'Hi' }),
    hostile: () => loginPage(hostileCtx, { links: FORGOT, interaction: X, email: X, error: X, notice: X }),
    hostileTexts: 2,
  },
  {
    name: 'second step',
    benign: () =>
      mfaPage(ctx, mfaView('i1', 'sealed', 'Wrong', 'j•••@example.com', 'ABCDEFGH', 'otpauth://totp/x')),
    hostile: () => mfaPage(hostileCtx, mfaView(X, X, X, X, X, `otpauth://${X}`)),
    hostileTexts: 6,
  },
  {
    name: 'register',
    benign: () =>
      registerPage(ctx, {
        interaction: 'i',
        email: 'a@b.c',
        name: 'Ann',
        error: 'E',
        passwordHints: ['h1', 'h2'],
      }),
    hostile: () =>
      registerPage(hostileCtx, { interaction: X, email: X, name: X, error: X, passwordHints: [X, X] }),
    hostileTexts: 3,
  },
  {
    name: 'forgot',
    benign: () => forgotPage(ctx, { email: 'a@b.c', error: 'E' }),
    hostile: () => forgotPage(hostileCtx, { email: X, error: X }),
    hostileTexts: 1,
  },
  {
    name: 'forgot (sent)',
    benign: () => forgotPage(ctx, { email: 'a@b.c', sent: true }),
    hostile: () => forgotPage(hostileCtx, { email: X, sent: true }),
    hostileTexts: 0,
  },
  {
    name: 'reset',
    benign: () => resetPasswordPage(ctx, { token: 'tok', error: 'E' }),
    hostile: () => resetPasswordPage(hostileCtx, { token: X, error: X }),
    hostileTexts: 1,
  },
  {
    name: 'reset (done)',
    benign: () => resetPasswordPage(ctx, { token: 'tok', done: true }),
    hostile: () => resetPasswordPage(hostileCtx, { token: X, done: true }),
    hostileTexts: 0,
  },
  {
    name: 'consent',
    benign: () =>
      consentPage(ctx, {
        interaction: 'i',
        clientName: 'App',
        userEmail: 'a@b.c',
        scopes: [{ name: 'openid', description: 'd' }],
      }),
    hostile: () =>
      consentPage(hostileCtx, {
        interaction: X,
        clientName: X,
        userEmail: X,
        scopes: [{ name: X, description: X }],
      }),
    hostileTexts: 4,
  },
  {
    name: 'logout confirm',
    benign: () => logoutConfirmPage(ctx, { hidden: { state: 's' } }),
    hostile: () => logoutConfirmPage(hostileCtx, { hidden: { [X]: X } }),
    hostileTexts: 0,
  },
  {
    name: 'logged out',
    benign: () => loggedOutPage(ctx),
    hostile: () => loggedOutPage(hostileCtx),
    hostileTexts: 0,
  },
  {
    name: 'error',
    benign: () =>
      errorPage(ctx.tenant, { title: 'T', message: 'M', requestId: 'r', next: { href: '/h', label: 'L' } }),
    hostile: () =>
      errorPage(hostileCtx.tenant, { title: X, message: X, requestId: X, next: { href: X, label: X } }),
    hostileTexts: 4,
  },
  {
    name: 'signed in',
    benign: () => signedInPage(ctx, { email: 'a@b.c' }),
    hostile: () => signedInPage(hostileCtx, { email: X }),
    hostileTexts: 1,
  },
  {
    name: 'reset link dead',
    benign: () => resetLinkDeadPage(ctx),
    hostile: () => resetLinkDeadPage(hostileCtx),
    hostileTexts: 0,
  },
  {
    name: 'email verified',
    benign: () => emailVerificationPage(ctx.tenant, '/t/acme', { verified: true }),
    hostile: () => emailVerificationPage(hostileCtx.tenant, '/t/acme', { verified: true }),
    hostileTexts: 0,
  },
  {
    name: 'email verification link dead',
    benign: () => emailVerificationPage(ctx.tenant, '/t/acme', { verified: false }),
    hostile: () => emailVerificationPage(hostileCtx.tenant, '/t/acme', { verified: false }),
    hostileTexts: 0,
  },
];

function inputsWithLabels(html: string): void {
  const { tags } = scan(html);
  const labels = new Set(tags.filter((t) => t.name === 'label' && !t.closing).map((t) => t.attrs['for']));
  const ids = tags.map((t) => t.attrs['id']).filter(Boolean);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const input of tags.filter((t) => t.name === 'input' && t.attrs['type'] !== 'hidden')) {
    assert.ok(input.attrs['id'], `input ${input.attrs['name']} has an id`);
    assert.ok(labels.has(input.attrs['id']), `input ${input.attrs['name']} has a <label for>`);
  }
}

function input(inputs: Tag[], name: string): Record<string, string> {
  const found = inputs.find((t) => t.attrs['name'] === name);
  assert.ok(found, `input ${name} present`);
  return found.attrs;
}

function onlyForm(html: string, action: string) {
  const all = forms(html);
  assert.equal(all.length, 1, 'one form');
  const f = all[0]!;
  assert.equal(f.method, 'post');
  assert.equal(f.action, action);
  assert.deepEqual(input(f.inputs, 'csrf_token'), { type: 'hidden', name: 'csrf_token', value: 'csrf-123' });
  return f;
}

describe('escaping', () => {
  for (const page of pages) {
    test(`${page.name}: hostile values in every field produce no markup`, () => {
      const html = page.hostile();
      assert.ok(!/<script/i.test(html), 'no <script');
      assert.ok(!/<img src=x/i.test(html), 'no injected <img');
      assert.ok(scriptFree(html), 'no script element or event handler attribute');
      assert.ok(!/<style>[^<]*Evil/.test(html), 'nothing from the tenant in the style sheet');
      // Same tags and attributes as with harmless values: nothing was injected, no attribute was broken out of.
      assert.deepEqual(skeleton(html), skeleton(page.benign()));
      // The hostile text is shown literally: escaped in the source, exact after decoding.
      assert.ok(html.includes(ESCAPED), 'escaped text present');
      const text = scan(html).text;
      const shown = text.split(X).length - 1;
      assert.ok(shown >= page.hostileTexts + 2, `the hostile text is shown as text (${shown} times)`);
    });
  }

  test('hostile values round-trip exactly through attributes', () => {
    const login = scan(loginPage(hostileCtx, { links: FORGOT, interaction: X, email: X }));
    const byName = (n: string) => login.tags.find((t) => t.attrs['name'] === n)?.attrs['value'];
    assert.equal(byName('csrf_token'), X);
    assert.equal(byName('interaction'), X);
    assert.equal(byName('email'), X);
    const links = login.tags.filter((t) => t.name === 'a' && !t.closing).map((t) => t.attrs['href']);
    assert.deepEqual(links, [
      `/t/acme/forgot?interaction=${encodeURIComponent(X)}`,
      `/t/acme/register?interaction=${encodeURIComponent(X)}`,
    ]);
    const logout = scan(logoutConfirmPage(hostileCtx, { hidden: { [X]: X } }));
    const echoed = logout.tags.find((t) => t.name === 'input' && t.attrs['name'] === X);
    assert.deepEqual(echoed?.attrs, { type: 'hidden', name: X, value: X });
  });

  test('no page but form_post has any JavaScript', () => {
    for (const page of pages) {
      for (const html of [page.benign(), page.hostile()]) {
        assert.ok(!/<script|javascript:/i.test(html) && scriptFree(html), `${page.name}: no script`);
      }
    }
  });
});

describe('forms', () => {
  test('every page is a complete document with labels for every input', () => {
    for (const page of pages) {
      const html = page.benign();
      assert.match(html, /<html lang="en">/, page.name);
      assert.match(html, /<meta name="viewport"/, page.name);
      assert.match(html, /<title>[^<]* – Acme<\/title>/, page.name);
      assert.match(html, /<main>/, page.name);
      inputsWithLabels(html);
      for (const f of forms(html)) {
        assert.equal(f.method, 'post', `${page.name}: post`);
        assert.ok(f.action.startsWith('/t/acme/'), `${page.name}: action under the base path`);
        assert.ok(
          f.inputs.some((i) => i.attrs['name'] === 'csrf_token' && i.attrs['type'] === 'hidden'),
          `${page.name}: csrf`,
        );
      }
    }
  });

  test('login', () => {
    const html = loginPage(ctx, { links: FORGOT, interaction: 'abc', email: 'ann@example.com' });
    const f = onlyForm(html, '/t/acme/login');
    assert.deepEqual(input(f.inputs, 'interaction'), { type: 'hidden', name: 'interaction', value: 'abc' });
    assert.deepEqual(input(f.inputs, 'email'), {
      id: 'email',
      name: 'email',
      type: 'email',
      autocomplete: 'username',
      required: '',
      value: 'ann@example.com',
    });
    assert.deepEqual(input(f.inputs, 'password'), {
      id: 'password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: '',
    });
    assert.ok(html.includes('<button type="submit">Sign in</button>'), 'Sign in button');
    assert.ok(
      html.includes('href="/t/acme/register?interaction=abc"'),
      'register link keeps the interaction',
    );
    assert.ok(html.includes('href="/t/acme/forgot?interaction=abc"'), 'forgot link keeps the interaction');
    assert.ok(!html.includes('role="alert"'), 'no alert without an error');
  });

  test('login on the default tenant, with error and notice', () => {
    const html = loginPage(
      { ...ctx, basePath: '' },
      { links: FORGOT, error: 'Wrong email or password.', notice: 'Welcome' },
    );
    const f = onlyForm(html, '/login');
    assert.ok(!f.inputs.some((i) => i.attrs['name'] === 'interaction'), 'no interaction input without one');
    assert.ok(html.includes('<p role="alert" class="error">Wrong email or password.</p>'), 'error');
    assert.ok(html.includes('<p role="status" class="notice">Welcome</p>'), 'notice');
    assert.ok(html.includes('href="/register"') && html.includes('href="/forgot"'), 'plain links');
  });

  test('register', () => {
    const html = registerPage(ctx, {
      interaction: 'i',
      name: 'Ann',
      email: 'a@b.c',
      passwordHints: ['12+ chars'],
    });
    const f = onlyForm(html, '/t/acme/register');
    assert.equal(input(f.inputs, 'name')['value'], 'Ann');
    assert.equal(input(f.inputs, 'email')['type'], 'email');
    assert.equal(input(f.inputs, 'password')['autocomplete'], 'new-password');
    assert.equal(input(f.inputs, 'password')['aria-describedby'], 'password-hints');
    assert.ok(html.includes('<li>12+ chars</li>'), 'hint listed');
    assert.ok(html.includes('<button type="submit">Create account</button>'), 'button');
    assert.ok(html.includes('href="/t/acme/login?interaction=i"'), 'link back to sign in');
    const noHints = registerPage(ctx, { passwordHints: [] });
    assert.ok(!noHints.includes('aria-describedby') && !noHints.includes('<ul'), 'no empty hint list');
  });

  test('forgot', () => {
    const html = forgotPage(ctx, {});
    const f = onlyForm(html, '/t/acme/forgot');
    assert.equal(input(f.inputs, 'email')['type'], 'email');
    assert.ok(html.includes('<button type="submit">Send reset link</button>'), 'button');
    const sent = forgotPage(ctx, { sent: true, email: 'ann@example.com' });
    assert.equal(forms(sent).length, 0, 'no form once sent');
    assert.ok(!sent.includes('ann@example.com'), 'the neutral message does not echo the address');
    assert.match(sent, /If an account exists/);
  });

  test('reset password', () => {
    const html = resetPasswordPage(ctx, { token: 'tok123' });
    const f = onlyForm(html, '/t/acme/reset-password');
    assert.deepEqual(input(f.inputs, 'token'), { type: 'hidden', name: 'token', value: 'tok123' });
    assert.equal(input(f.inputs, 'password')['type'], 'password');
    assert.equal(input(f.inputs, 'confirm')['type'], 'password');
    const done = resetPasswordPage(ctx, { token: 'tok123', done: true });
    assert.equal(forms(done).length, 0, 'no form when done');
    assert.ok(!done.includes('tok123'), 'the token is not echoed when done');
    assert.ok(done.includes('href="/t/acme/login"'), 'sign-in link');
  });

  test('consent', () => {
    const html = consentPage(ctx, {
      interaction: 'int',
      clientName: 'Photo App',
      userEmail: 'ann@example.com',
      scopes: [
        { name: 'openid', description: SCOPE_DESCRIPTIONS['openid']! },
        { name: 'orders:read', description: 'Read your orders' },
        { name: 'email', description: '' },
      ],
    });
    const f = onlyForm(html, '/t/acme/consent');
    assert.equal(input(f.inputs, 'interaction')['value'], 'int');
    assert.deepEqual(
      f.buttons.map((b) => b.attrs),
      [
        { type: 'submit', name: 'decision', value: 'allow' },
        { type: 'submit', name: 'decision', value: 'deny', class: 'secondary' },
        { type: 'submit', name: 'decision', value: 'switch_account', class: 'link' },
      ],
    );
    assert.ok(html.includes('>Allow</button>') && html.includes('>Deny</button>'), 'button texts');
    assert.ok(html.includes('>Not you? Use another account</button>'), 'a way to another account');
    assert.ok(html.includes('<strong>Photo App</strong>'), 'client name');
    assert.ok(html.includes('ann@example.com'), 'signed-in email');
    assert.ok(html.includes('<li>Read your orders <code>orders:read</code></li>'), 'custom scope');
    assert.ok(html.includes(`<li>${SCOPE_DESCRIPTIONS['email']} <code>email</code></li>`), 'fallback text');
  });

  test('logout confirmation and signed-out pages', () => {
    const html = logoutConfirmPage(ctx, { hidden: { id_token_hint: 'eyJ', state: 'xyz' } });
    const f = onlyForm(html, '/t/acme/logout');
    assert.equal(input(f.inputs, 'id_token_hint')['value'], 'eyJ');
    assert.equal(input(f.inputs, 'state')['value'], 'xyz');
    assert.deepEqual(
      f.buttons.map((b) => [b.attrs['name'], b.attrs['value']]),
      [
        ['decision', 'logout'],
        ['decision', 'cancel'],
      ],
    );
    assert.ok(html.includes('>Sign out</button>') && html.includes('>Stay signed in</button>'), 'texts');
    const out = loggedOutPage(ctx);
    assert.equal(forms(out).length, 0, 'no form');
    assert.match(out, /You have been signed out/);
  });

  test('error page, with and without a tenant', () => {
    const html = errorPage(null, {
      title: 'Invalid request',
      message: 'Unknown client.',
      requestId: 'req-1',
    });
    assert.match(html, /<title>Invalid request – HelloJohn<\/title>/);
    assert.ok(html.includes('<p role="alert" class="error">Unknown client.</p>'), 'message');
    assert.ok(html.includes('<code>req-1</code>'), 'request id');
    assert.ok(!errorPage(null, { title: 'T', message: 'M' }).includes('Request ID'), 'no empty request id');
    assert.match(errorPage(ctx.tenant, { title: 'T', message: 'M' }), /<title>T – Acme<\/title>/);
  });

  test('SCOPE_DESCRIPTIONS covers the standard scopes', () => {
    assert.deepEqual(Object.keys(SCOPE_DESCRIPTIONS).sort(), [
      'address',
      'email',
      'offline_access',
      'openid',
      'phone',
      'profile',
    ]);
    for (const text of Object.values(SCOPE_DESCRIPTIONS)) assert.ok(text.length > 5, text);
  });
});

describe('start page', () => {
  test('hostile tenant, issuer and base URL produce no markup; every HOME_LINKS entry is linked once', () => {
    const benign = homePage(ctx, { issuer: 'https://id/t/acme', adminApiBase: 'https://id' });
    const hostile = homePage(hostileCtx, { issuer: X, adminApiBase: X });
    assert.ok(!/<script|<img src=x/i.test(hostile) && scriptFree(hostile), 'no injected markup');
    assert.deepEqual(skeleton(hostile), skeleton(benign));
    assert.ok(hostile.includes(ESCAPED), 'escaped text present');
    assert.equal(forms(benign).length, 0, 'no form, so no CSRF token needed');
    const hrefs = scan(benign)
      .tags.filter((t) => t.name === 'a' && !t.closing)
      .map((t) => t.attrs['href']);
    assert.deepEqual(
      hrefs,
      HOME_LINKS.map((l) => `/t/acme${l.path}`),
    );
    assert.match(benign, /<main class="wide">/);
    assert.match(benign, /hellojohn clients create --tenant acme/);
  });
});

describe('form_post', () => {
  const fields = { code: 'c0de', state: 's', iss: 'https://id.example.com' };

  test('an auto-submitting form, with a button for browsers without JavaScript', () => {
    const html = formPostPage({ action: 'https://rp.example.com/cb', fields });
    const f = forms(html);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.method, 'post');
    assert.equal(f[0]!.action, 'https://rp.example.com/cb');
    assert.deepEqual(
      f[0]!.inputs.map((i) => [i.attrs['type'], i.attrs['name'], i.attrs['value']]),
      Object.entries(fields).map(([k, v]) => ['hidden', k, v]),
    );
    assert.match(html, /<noscript>[\s\S]*<button type="submit">Continue<\/button>[\s\S]*<\/noscript>/);
    assert.match(html, /<html lang="en">/);
    const handlers = scan(html).tags.filter((t) => Object.keys(t.attrs).some((a) => a.startsWith('on')));
    assert.equal(handlers.length, 0, 'no event handler attributes (a CSP hash would not cover them)');
  });

  test('FORM_POST_SCRIPT_HASH is the sha256 of the one inline script', () => {
    const html = formPostPage({ action: 'https://rp.example.com/cb', fields });
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1, 'one script');
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'no other script tag');
    const digest = createHash('sha256').update(scripts[0]![1]!, 'utf8').digest('base64');
    assert.equal(FORM_POST_SCRIPT_HASH, `'sha256-${digest}'`);
    // The script is the same whatever the fields, so one hash covers every response.
    const other = formPostPage({ action: 'https://x.example/', fields: { error: 'access_denied' } });
    assert.equal([...other.matchAll(/<script>([\s\S]*?)<\/script>/g)][0]![1], scripts[0]![1]);
  });

  test('hostile field names, values and action are escaped', () => {
    const html = formPostPage({ action: `https://rp.example.com/cb?x=${X}`, fields: { [X]: X, state: X } });
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'only our script');
    assert.ok(!/<img src=x/i.test(html), 'no injected markup');
    const f = forms(html)[0]!;
    assert.equal(f.action, `https://rp.example.com/cb?x=${X}`);
    assert.deepEqual(
      f.inputs.map((i) => i.attrs),
      [
        { type: 'hidden', name: X, value: X },
        { type: 'hidden', name: 'state', value: X },
      ],
    );
    assert.deepEqual(
      skeleton(html),
      skeleton(formPostPage({ action: 'https://rp.example.com/cb', fields: { a: 'b', state: 's' } })),
    );
  });

  test('refuses an action that is not an absolute URL or has a script-capable scheme', () => {
    for (const action of ['/cb', 'cb', 'javascript:alert(1)', 'data:text/html,x', 'vbscript:x']) {
      assert.throws(() => formPostPage({ action, fields: {} }), TypeError, action);
    }
    assert.doesNotThrow(() => formPostPage({ action: 'com.example.app:/oauth2redirect', fields: {} }));
  });
});
