// The "Two-step sign-in" card and its steps without a server: hostile values (an address, a factor's
// label, an error, the tenant's name) are text, never markup; every input has a label; every form posts
// to /account/mfa/… with the CSRF token; no change is offered without a recent sign-in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forms, scan, scriptFree, skeleton } from '../../../test/views/scan.js';
import type { PageContext } from '../../http/views/layout.js';
import type { AccountSectionArgs } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import {
  emailSetupCard,
  mfaSection,
  mfaStepPage,
  phoneCodeCard,
  phoneNumberCard,
  recoveryCodesCard,
  totpSetupCard,
  type MfaSectionView,
} from './account-views.js';

const X = `Evil"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;
const now = new Date('2025-01-01T12:00:00Z');
const tenantNamed = (name: string): Tenant => ({
  id: 'a6b1c1de-0000-4000-8000-000000000001',
  slug: 'acme',
  name,
  settings: {},
  issuer: 'https://id/t/acme',
});
const ctxOf = (text: string): PageContext => ({
  tenant: tenantNamed(text),
  csrfToken: 'csrf-123',
  basePath: '/t/acme',
});

function args(text: string, recentSignIn = true): AccountSectionArgs {
  return {
    tenant: tenantNamed(text),
    user: { id: 'u1', email: `${text}@example.com`, emailVerified: true, name: text },
    hasPassword: true,
    session: { id: 's1', amr: ['pwd'], authTime: now },
    page: ctxOf(text),
    recentSignIn,
    reauthenticateHref: '/t/acme/login?return_to=/account',
  };
}

function view(text: string, overrides: Partial<MfaSectionView> = {}): MfaSectionView {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  return {
    factors: [
      { id: 't1', type: 'totp', label: text, createdAt: at(90), lastUsedAt: at(5) },
      { id: 'e1', type: 'email', label: text, createdAt: at(30), lastUsedAt: null },
      {
        id: 'recovery_code',
        type: 'recovery_code',
        label: text,
        createdAt: at(90),
        lastUsedAt: null,
        remaining: 2,
      },
    ],
    preferred: 'totp',
    canSetUp: ['sms'],
    policyOff: false,
    error: text,
    now,
    ...overrides,
  };
}

/** Every page the card shows: on the account page, and each step's. */
function pages(text: string, recent = true): string[] {
  const ctx = ctxOf(text);
  const page = (body: Parameters<typeof mfaStepPage>[2]) => mfaStepPage(ctx, text, body);
  return [
    page(mfaSection(args(text, recent), view(text))),
    page(mfaSection(args(text, recent), view(text, { factors: [], canSetUp: ['totp', 'email', 'sms'] }))),
    page(
      totpSetupCard(ctx, {
        enrollment: { qrSvg: `<svg>${text}</svg>`, secret: 'JBSWY3DP', uri: 'otpauth://totp/x' },
      }),
    ),
    page(totpSetupCard(ctx, { error: text })),
    page(emailSetupCard(ctx, { email: text, sent: true, error: text })),
    page(phoneNumberCard(ctx, { phoneNumber: text, error: text })),
    page(phoneCodeCard(ctx, { sentTo: text, phoneNumber: text, error: text })),
    page(
      recoveryCodesCard(ctx, {
        codes: [text, 'abcd-efgh-jkmn'],
        email: text,
        confirmation: text,
        doneHref: '/t/acme/account#mfa',
      }),
    ),
  ];
}

describe('the two-step sign-in card', () => {
  test('hostile values are text: same markup as harmless ones', () => {
    const hostile = pages(X);
    const harmless = pages('Ada');
    hostile.forEach((html, i) => {
      assert.ok(scriptFree(html) && !/<script|<img src=x/i.test(html), `page ${i}`);
      assert.deepEqual(skeleton(html), skeleton(harmless[i]!), `page ${i}`);
      assert.ok(scan(html).text.includes(X), `page ${i} shows it literally`);
    });
  });

  test('every input has a label; every form posts to the card with the CSRF token', () => {
    for (const html of [...pages('Ada'), ...pages('Ada', false)]) {
      const { tags } = scan(html);
      const labels = new Set(tags.filter((t) => t.name === 'label').map((t) => t.attrs['for']));
      for (const input of tags.filter((t) => t.name === 'input' && t.attrs['type'] !== 'hidden'))
        assert.ok(labels.has(input.attrs['id']), `input ${input.attrs['id']} has a label`);
      const ids = tags.map((t) => t.attrs['id']).filter(Boolean);
      assert.equal(new Set(ids).size, ids.length, 'ids are unique');
      for (const f of forms(html)) {
        assert.equal(f.method, 'post');
        assert.match(f.action, /^\/t\/acme\/account\/mfa\/[a-z/-]+$/);
        assert.ok(f.inputs.some((i) => i.attrs['name'] === 'csrf_token' && i.attrs['value'] === 'csrf-123'));
      }
    }
  });

  test('an account without a password is not told about one', () => {
    const passwordless = { ...args('Ada'), hasPassword: false };
    const off = mfaSection(passwordless, view('Ada', { factors: [] })).value;
    assert.match(off, /You sign in in one step only\./);
    assert.match(mfaSection(passwordless, view('Ada')).value, /After you sign in, you confirm/);
    assert.doesNotMatch(off + mfaSection(passwordless, view('Ada')).value, /your password/);
    assert.match(mfaSection(args('Ada'), view('Ada', { factors: [] })).value, /with your password only/);
  });

  test('without a recent sign-in: "Confirm it’s you", and no form but "Make preferred"', () => {
    const html = mfaSection(args('Ada', false), view('Ada')).value;
    assert.deepEqual(
      forms(html).map((f) => f.action),
      ['/t/acme/account/mfa/preferred'],
    );
    assert.doesNotMatch(html, /\/account\/mfa\/phone/);
    assert.match(html, /href="\/t\/acme\/login\?return_to=\/account">Confirm it’s you/);
    const recent = mfaSection(args('Ada'), view('Ada')).value;
    assert.deepEqual(
      forms(recent).map((f) => f.action),
      [
        '/t/acme/account/mfa/remove', // the app (preferred)
        '/t/acme/account/mfa/preferred', // email codes
        '/t/acme/account/mfa/remove',
        '/t/acme/account/mfa/recovery-codes',
      ],
    );
    assert.match(recent, /href="\/t\/acme\/account\/mfa\/phone"/);
    assert.match(recent, /Running low/);
  });
});
