// A social sign-up is a registration like any other: it goes through the core's Registration, so every
// module's userRegistered hook runs for it, in the same transaction as the user and its identity (a
// module that exists only in this test records each call, and fails for some addresses), the
// user.registered event names the provider, and no verification link is sent for the address the
// provider verified.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { defineModule, type FeatureModule } from '../../kernel/module.js';
import { featureModules } from '../index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import {
  HttpAgent,
  authRequest,
  exchange,
  startOidcApp,
  type Landing,
  type OidcTestApp,
  type TestClient,
} from '../../../test/support/oidc.js';
import { startOidcProvider, type LocalOidcProvider } from '../../../test/support/social-providers.js';

/** Records every registration it hears of; refuses (after writing its row) the addresses starting "fail-". */
const recorder: FeatureModule = defineModule({
  id: 'test-registration-recorder',
  migrations: [
    {
      version: 901,
      name: 'test_registrations',
      sql: 'CREATE TABLE test_registrations (user_id uuid PRIMARY KEY, email text NOT NULL, verified boolean NOT NULL)',
    },
  ],
  setup() {
    return {
      hooks: {
        async userRegistered(tx, _tenant, user) {
          await tx.query('INSERT INTO test_registrations (user_id, email, verified) VALUES ($1, $2, $3)', [
            user.id,
            user.email,
            user.email_verified,
          ]);
          if (user.email.startsWith('fail-')) throw new Error('The recorder is down.');
        },
      },
    };
  },
});

let t: OidcTestApp;
let google: LocalOidcProvider;
let rp: TestClient;

before(async () => {
  google = await startOidcProvider({});
  t = await startOidcApp({ SOCIAL_GOOGLE_URL: google.issuer }, { modules: [...featureModules, recorder] });
  google.register([`${t.base}/v2/auth/social/google/callback`]);
  const admin = `Bearer ${(await t.app.services.admins.create('root@example.com')).token}`;
  const saved = await fetch(`${t.base}/v2/admin/tenants/default/social-providers/google`, {
    method: 'PUT',
    headers: { authorization: admin, 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: google.clientId, client_secret: google.clientSecret }),
  });
  assert.equal(saved.status, 200);
  rp = await t.createClient({ firstParty: true });
});

after(async () => {
  await t?.close();
  await google?.close();
});

/** A hosted sign-in with Google as `email`: where it ends (the relying party, or a page). */
async function signUpWithGoogle(email: string): Promise<Landing & { sub?: string }> {
  google.signIn({
    sub: `g-${randomBytes(6).toString('hex')}`,
    email,
    email_verified: true,
    name: 'Ana Lima',
  });
  const agent = new HttpAgent();
  const config = await t.rp(rp);
  const request = await authRequest(config, rp);
  const login = await agent.walk(request.url);
  assert.equal(login.kind, 'page');
  const href = /href="([^"]*\/v2\/auth\/social\/google\/start[^"]*)"/.exec(login.page.html)?.[1];
  assert.ok(href, 'a Google button');
  let landing = await agent.walk(new URL(href.replace(/&amp;/g, '&'), t.base));
  const ours = [t.base, google.origin];
  for (let i = 0; i < 10 && landing.kind === 'redirect' && ours.includes(landing.url.origin); i++)
    landing = await agent.walk(landing.url);
  if (landing.kind === 'page') return landing;
  const tokens = await exchange(config, request, landing.url);
  return { ...landing, sub: tokens.claims()!.sub };
}

const rows = async (sql: string, params: unknown[]) => (await t.db.query(sql, params)).rows;

describe('a social sign-up goes through the core registration', () => {
  test("every module's userRegistered hook runs; user.registered names the provider; no verification link", async () => {
    const email = uniqueEmail('social-hook');
    const landing = await signUpWithGoogle(email);
    assert.equal(landing.kind, 'redirect', landing.kind === 'page' ? landing.page.html.slice(0, 400) : '');
    const userId = landing.sub!;
    assert.deepEqual(
      await rows('SELECT email, verified FROM test_registrations WHERE user_id = $1', [userId]),
      [{ email, verified: true }],
    );
    const registered = await rows(
      "SELECT data FROM audit_events WHERE type = 'user.registered' AND user_id = $1",
      [userId],
    );
    assert.deepEqual(registered, [{ data: { method: 'google' } }]);
    assert.deepEqual(await rows('SELECT password_hash, email_verified FROM users WHERE id = $1', [userId]), [
      { password_hash: null, email_verified: true },
    ]);
    // The address is verified by the provider: the email-verification module's hook sends no link.
    assert.deepEqual(await rows('SELECT purpose FROM email_tokens WHERE user_id = $1', [userId]), []);

    // The control: a password sign-up runs the same hooks, and gets its link.
    const other = uniqueEmail('password-hook');
    const made = await t.post('/v2/auth/register', { email: other, password: STRONG_PASSWORD });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const otherId = (made.body.user as { id: string }).id;
    assert.deepEqual(
      await rows('SELECT email, verified FROM test_registrations WHERE user_id = $1', [otherId]),
      [{ email: other, verified: false }],
    );
    assert.deepEqual(
      await rows("SELECT data FROM audit_events WHERE type = 'user.registered' AND user_id = $1", [otherId]),
      [{ data: { method: 'password' } }],
    );
    assert.deepEqual(await rows('SELECT purpose FROM email_tokens WHERE user_id = $1', [otherId]), [
      { purpose: 'verify_email' },
    ]);
  });

  test('a hook that fails leaves no user, no identity, no event, no hook row: one transaction', async () => {
    const email = `fail-${uniqueEmail('social')}`;
    const events = async () =>
      (await rows("SELECT id FROM audit_events WHERE type IN ('user.registered', 'social.linked')", []))
        .length;
    const before = await events();
    const landing = await signUpWithGoogle(email);
    assert.equal(landing.kind, 'page');
    assert.equal(landing.page.status, 500);
    assert.deepEqual(await rows('SELECT id FROM users WHERE email = $1', [email]), []);
    assert.deepEqual(await rows('SELECT id FROM social_identities WHERE email = $1', [email]), []);
    assert.deepEqual(await rows('SELECT user_id FROM test_registrations WHERE email = $1', [email]), []);
    assert.equal(await events(), before, 'no user.registered or social.linked event');
  });
});
