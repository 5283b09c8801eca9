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
  formTo,
  pageText,
  postPageForm,
  signInToAccount,
  signedInLongAgo,
} from '../../../test/support/account-page.js';
import {
  HttpAgent,
  authRequest,
  exchange,
  parseForms,
  startOidcApp,
  type Landing,
  type OidcTestApp,
  type Page,
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
let admin: string;

before(async () => {
  google = await startOidcProvider({});
  t = await startOidcApp({ SOCIAL_GOOGLE_URL: google.issuer }, { modules: [...featureModules, recorder] });
  google.register([`${t.base}/v2/auth/social/google/callback`]);
  admin = `Bearer ${(await t.app.services.admins.create('root@example.com')).token}`;
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

/** Signs in with Google from the account page (a new account the first time), landing back on it. */
async function googleToAccount(who: { sub: string; email: string }, agent = new HttpAgent()) {
  google.signIn({ ...who, email_verified: true, name: 'Ana Lima' });
  const login = await agent.walk(`${t.base}/account`);
  assert.equal(login.kind, 'page');
  const href = /href="([^"]*\/v2\/auth\/social\/google\/start[^"]*)"/.exec(login.page.html)?.[1];
  assert.ok(href, 'a Google button');
  let landing = await agent.walk(new URL(href.replace(/&amp;/g, '&'), t.base));
  for (let i = 0; i < 10 && landing.kind === 'redirect'; i++) landing = await agent.walk(landing.url);
  assert.equal(landing.kind, 'page');
  assert.equal(landing.page.url.pathname, '/account', pageText(landing.page).slice(0, 400));
  return { agent, account: landing.page };
}

async function identitiesOf(userId: string): Promise<string[]> {
  const r = await fetch(`${t.base}/v2/admin/tenants/default/users/${userId}/identities`, {
    headers: { authorization: admin },
  });
  assert.equal(r.status, 200);
  const body = (await r.json()) as { identities: { method: string }[] };
  return body.identities.map((i) => i.method);
}

const passwordInputs = (page: Page) =>
  parseForms(page)
    .find(formTo('/account/password'))
    ?.fields.filter((f) => f.type === 'password')
    .map((f) => f.name);

describe('an account without a password sets one on the account page', () => {
  test('"Set a password": no current password asked, a recent sign-in needed; then it signs in with it', async () => {
    const who = { sub: `g-${randomBytes(6).toString('hex')}`, email: uniqueEmail('set-pw') };
    const first = await googleToAccount(who);
    const userId = (await rows('SELECT id FROM users WHERE email = $1', [who.email]))[0]!.id as string;
    assert.match(pageText(first.account), /Set a password You sign in without a password/);
    assert.deepEqual(passwordInputs(first.account), ['new_password', 'confirm'], 'no current password asked');
    assert.deepEqual(await identitiesOf(userId), ['google']);

    // A sign-in that is not recent may not set it (a browser left signed in is not enough).
    await signedInLongAgo(t, userId);
    const stale = await postPageForm(first.agent, first.account, '/account/password', {
      new_password: STRONG_PASSWORD,
      confirm: STRONG_PASSWORD,
    });
    assert.equal(stale.status, 401);
    assert.match(pageText(stale), /sign in again to set a password/);
    assert.match(pageText(stale), /Confirm it’s you/);
    assert.deepEqual(await rows('SELECT password_hash FROM users WHERE id = $1', [userId]), [
      { password_hash: null },
    ]);

    // Signed in again (Google, another browser): the policy applies, then it is set.
    const again = await googleToAccount(who);
    const weak = await postPageForm(again.agent, again.account, '/account/password', {
      new_password: 'password1',
      confirm: 'password1',
    });
    assert.equal(weak.status, 400);
    const set = await postPageForm(again.agent, again.account, '/account/password', {
      new_password: STRONG_PASSWORD,
      confirm: STRONG_PASSWORD,
    });
    assert.equal(set.status, 303, set.html.slice(0, 300));
    assert.equal(set.location, '/account?notice=password_set');
    const after = await again.agent.walk(`${t.base}${set.location}`);
    assert.equal(after.kind, 'page');
    assert.match(pageText(after.page), /Your password is set/);
    assert.deepEqual(passwordInputs(after.page), ['current_password', 'new_password', 'confirm']);

    assert.deepEqual(await identitiesOf(userId), ['password', 'google']);
    const events = await rows(
      "SELECT data::text AS data FROM audit_events WHERE type = 'password.set' AND user_id = $1",
      [userId],
    );
    assert.equal(events.length, 1);
    assert.ok(!String(events[0]!.data).includes(STRONG_PASSWORD), 'no password in the trail');
    const login = await t.post('/v2/auth/login', { email: who.email, password: STRONG_PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    // Setting a first password changes nothing another session knew: the first browser stays signed in.
    const firstAgain = await first.agent.walk(`${t.base}/account`);
    assert.equal(firstAgain.kind, 'page');
    assert.equal(firstAgain.page.status, 200);
  });

  test('an account with a password must give the current one: without it, 400 and nothing changes', async () => {
    const email = uniqueEmail('has-pw');
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
    const { agent, account } = await signInToAccount(t, { email, password: STRONG_PASSWORD });
    assert.match(pageText(account), /Password Changing your password/);
    const fresh = 'Fresh-Orchard-Lantern-93';
    const missing = await postPageForm(
      agent,
      account,
      '/account/password',
      { new_password: fresh, confirm: fresh },
      ['current_password'],
    );
    assert.equal(missing.status, 400);
    assert.match(pageText(missing), /Enter your current password/);
    assert.equal((await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal((await t.post('/v2/auth/login', { email, password: fresh })).status, 401);
  });
});
