// Passkeys over real HTTP on a fresh database (PostgreSQL or PGlite), with a software authenticator
// (test/support/webauthn.ts) whose answers can be bent one part at a time: register and sign in through
// the API, amr with and without user verification, the MFA interplay, and every refusal: another origin
// or RP ID, a replayed assertion, another tenant's or another user's passkey, a cloned authenticator
// (counter going backwards), hostile input; then rename, delete (never the last way to sign in), the
// identities and the admin API, and the audit trail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { enrolledFactors } from '../../../test/support/mfa.js';
import { SoftAuthenticator, type Bend } from '../../../test/support/webauthn.js';
import { createTenantChecked } from '../../admin/tenants.js';

describe('passkeys API', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  before(async () => {
    t = await startTestApp({ SESSION_RECENT_LOGIN: '5m' }, { hostname: 'localhost' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  });
  after(() => t.close());

  const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${t.base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  /** A new user (password) with one passkey on `authenticator`; its access token and id. */
  async function userWithPasskey(
    authenticator = new SoftAuthenticator(t.base),
    bend: Bend = {},
    prefix = '',
  ) {
    const email = uniqueEmail('passkey');
    const registered = await t.post(`${prefix}/v2/auth/register`, { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const auth = bearer(registered.body.access_token);
    const begin = await t.post(`${prefix}/v2/auth/webauthn/register/begin`, {}, auth);
    assert.equal(begin.status, 200, JSON.stringify(begin.body));
    const options = begin.body as unknown as PublicKeyCredentialCreationOptionsJSON;
    assert.equal(options.rp.id, 'localhost', 'the RP ID is the issuer host');
    assert.equal(options.attestation, 'none');
    assert.equal(options.authenticatorSelection?.residentKey, 'required');
    assert.equal(options.authenticatorSelection?.userVerification, 'preferred');
    const finish = await t.post(
      `${prefix}/v2/auth/webauthn/register/finish`,
      { response: authenticator.register(options, bend), name: 'Test key' },
      auth,
    );
    assert.equal(finish.status, 201, JSON.stringify(finish.body));
    const userId = String(decodeJwt(String(registered.body.access_token)).sub);
    return { email, auth, userId, authenticator, passkey: finish.body };
  }

  const loginOptions = async (prefix = '') => {
    const begin = await t.post(`${prefix}/v2/auth/webauthn/login/begin`, {});
    assert.equal(begin.status, 200, JSON.stringify(begin.body));
    const options = begin.body as unknown as PublicKeyCredentialRequestOptionsJSON;
    assert.deepEqual(options.allowCredentials ?? [], [], 'usernameless: no credentials named');
    return options;
  };
  const finish = (response: unknown, prefix = '') =>
    t.post(`${prefix}/v2/auth/webauthn/login/finish`, { response });
  const events = async (type: string, userId: string) =>
    (
      await t.db.query<{ data: Record<string, unknown> }>(
        'SELECT data FROM audit_events WHERE type = $1 AND user_id = $2 ORDER BY created_at',
        [type, userId],
      )
    ).rows.map((r) => r.data);

  test('register, then sign in without an email: tokens with amr hwk+user+mfa', async () => {
    const { userId, authenticator, passkey } = await userWithPasskey();
    assert.equal(passkey.name, 'Test key');
    assert.equal(passkey.backup_eligible, false);
    const done = await finish(authenticator.assert(await loginOptions()));
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const claims = decodeJwt(String(done.body.access_token));
    assert.equal(claims.sub, userId);
    assert.deepEqual(claims.amr, ['hwk', 'user', 'mfa']);
    const used = await events('passkey.used', userId);
    assert.equal(used.length, 1);
    assert.equal(used[0]!.as, 'sign_in');
    const logins = await events('user.login', userId);
    assert.equal(logins.at(-1)!.method, 'passkey');
    const registered = await events('passkey.registered', userId);
    assert.equal(registered.length, 1);
    assert.doesNotMatch(JSON.stringify([...used, ...registered]), /challenge|public_key|signature/i);
  });

  test('a synced passkey says swk; without user verification there is no mfa', async () => {
    const { authenticator } = await userWithPasskey(undefined, { backupEligible: true });
    const synced = await finish(authenticator.assert(await loginOptions()));
    assert.deepEqual(decodeJwt(String(synced.body.access_token)).amr, ['swk', 'user', 'mfa']);
    const unverified = await finish(authenticator.assert(await loginOptions(), { uv: false }));
    assert.equal(unverified.status, 200);
    assert.deepEqual(decodeJwt(String(unverified.body.access_token)).amr, ['swk', 'user']);
  });

  test('MFA: a verified passkey needs no second step; an unverified one gets it, and a passkey is a factor', async () => {
    const { email, auth, authenticator, userId } = await userWithPasskey();
    // A TOTP makes the account an MFA account.
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, auth);
    const totp = new TOTP({ secret: Secret.fromBase32(String(enroll.body.secret)), period: 30 });
    assert.equal((await t.post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, auth)).status, 200);

    // In registration order (the MFA module's factors, then this one's); the sign-in puts fallbacks last.
    assert.deepEqual(await enrolledFactors(t, email), ['totp', 'recovery_code', 'webauthn']);
    const verified = await finish(authenticator.assert(await loginOptions()));
    assert.equal(verified.status, 200);
    assert.ok(verified.body.access_token, 'user verification satisfies MFA');

    const unverified = await finish(authenticator.assert(await loginOptions(), { uv: false }));
    assert.equal(unverified.body.mfa_required, true, JSON.stringify(unverified.body));
    assert.ok((unverified.body.factors as string[]).includes('webauthn'));

    // The password sign-in offers the passkey as its second step, and takes it.
    const password = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.deepEqual(password.body.factors, ['totp', 'webauthn', 'recovery_code']);
    const code = JSON.stringify(authenticator.assert(await loginOptions()));
    const second = await t.post('/v2/mfa/challenge', {
      mfa_token: password.body.mfa_token,
      factor: 'webauthn',
      code,
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(decodeJwt(String(second.body.access_token)).amr, ['pwd', 'hwk', 'mfa']);
    assert.equal((await events('passkey.used', userId)).at(-1)!.as, 'second_factor');

    // Another user's passkey is no second factor of this one.
    const other = await userWithPasskey();
    const again = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    const foreign = await t.post('/v2/mfa/challenge', {
      mfa_token: again.body.mfa_token,
      factor: 'webauthn',
      code: JSON.stringify(other.authenticator.assert(await loginOptions())),
    });
    assert.equal(foreign.status, 401, JSON.stringify(foreign.body));
    assert.equal((await events('login.failed', userId)).at(-1)!.reason, 'other_user');
  });

  test('a passkey alone does not turn two-step sign-in on', async () => {
    const { email } = await userWithPasskey();
    assert.deepEqual(await enrolledFactors(t, email), []);
    const password = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.ok(password.body.access_token, JSON.stringify(password.body));
  });

  test('refused: another origin, another RP ID, a replay, a wrong signature', async () => {
    const { authenticator, userId } = await userWithPasskey();
    const failures = async () => (await events('login.failed', userId)).length;

    const phished = await finish(
      authenticator.assert(await loginOptions(), { origin: 'http://localhost:1' }),
    );
    assert.equal(phished.status, 401);
    assert.equal(phished.body.error, 'invalid_credentials');
    const otherRp = await finish(authenticator.assert(await loginOptions(), { rpId: 'evil.example' }));
    assert.equal(otherRp.status, 401);
    assert.equal(await failures(), 2);

    // Counter 0 (an authenticator that keeps none): only the challenge stops the replay.
    const assertion = authenticator.assert(await loginOptions(), { counter: 0 });
    assert.equal((await finish(assertion)).status, 200);
    const replayed = await finish(assertion);
    assert.equal(replayed.status, 401, 'the challenge works once');
    const last = await t.db.query<{ data: { reason: string } }>(
      `SELECT data FROM audit_events WHERE type = 'login.failed' ORDER BY created_at DESC LIMIT 1`,
    );
    assert.equal(last.rows[0]!.data.reason, 'challenge');

    const forged = authenticator.assert(await loginOptions());
    forged.response.signature = Buffer.from('not a signature').toString('base64url');
    assert.equal((await finish(forged)).status, 401);
  });

  test("refused: another tenant's passkey (same RP ID), and a cloned authenticator (audited)", async () => {
    await createTenantChecked(t.db, { slug: 'acme', name: 'Acme' });
    const { authenticator, userId } = await userWithPasskey();
    const elsewhere = await finish(authenticator.assert(await loginOptions('/t/acme')), '/t/acme');
    assert.equal(elsewhere.status, 401, 'a passkey of tenant default is unknown to acme');
    const acme = await t.db.query<{ data: { reason: string } }>(
      `SELECT e.data FROM audit_events e JOIN tenants t ON t.id = e.tenant_id
        WHERE t.slug = 'acme' AND e.type = 'login.failed'`,
    );
    assert.deepEqual(
      acme.rows.map((r) => r.data.reason),
      ['unknown_credential'],
    );

    assert.equal((await finish(authenticator.assert(await loginOptions(), { counter: 10 }))).status, 200);
    const clone = await finish(authenticator.assert(await loginOptions(), { counter: 7 }));
    assert.equal(clone.status, 401);
    const suspected = await events('passkey.clone_suspected', userId);
    assert.equal(suspected.length, 1);
    assert.equal(suspected[0]!.sign_count, 10);
    // The original, moving on, still works.
    assert.equal((await finish(authenticator.assert(await loginOptions(), { counter: 11 }))).status, 200);
  });

  test('registration: the challenge is the user’s and works once; hostile input is a 400', async () => {
    const a = await userWithPasskey();
    const b = await userWithPasskey();
    const begin = await t.post('/v2/auth/webauthn/register/begin', {}, a.auth);
    const response = new SoftAuthenticator(t.base).register(
      begin.body as unknown as PublicKeyCredentialCreationOptionsJSON,
    );
    const stolen = await t.post('/v2/auth/webauthn/register/finish', { response }, b.auth);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, 'invalid_grant');
    // …and B's attempt spent it: A cannot use it either.
    assert.equal((await t.post('/v2/auth/webauthn/register/finish', { response }, a.auth)).status, 400);

    const again = await t.post('/v2/auth/webauthn/register/begin', {}, a.auth);
    const wrongOrigin = new SoftAuthenticator('http://localhost:1').register(
      again.body as unknown as PublicKeyCredentialCreationOptionsJSON,
    );
    const refused = await t.post('/v2/auth/webauthn/register/finish', { response: wrongOrigin }, a.auth);
    assert.equal(refused.status, 400);

    const garbage = { ...response, response: { ...response.response, clientDataJSON: 'bm90IGpzb24' } };
    for (const body of [{ response: garbage }, { response: { id: 'x' } }, {}]) {
      const answer = await t.post('/v2/auth/webauthn/register/finish', body, a.auth);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
    }
    const assertion = a.authenticator.assert(await loginOptions());
    const bad = { ...assertion, response: { ...assertion.response, clientDataJSON: 'e30' } };
    assert.equal((await finish(bad)).status, 400);
    assert.equal((await t.post('/v2/auth/webauthn/register/begin', {})).status, 401);
  });

  test('list, rename, delete; identities; the admin API', async () => {
    const { auth, userId, passkey } = await userWithPasskey();
    const id = String(passkey.id);
    const list = await send('GET', '/v2/auth/webauthn/passkeys', undefined, auth);
    assert.equal((list.body.passkeys as unknown[]).length, 1);
    const renamed = await send(
      'PATCH',
      `/v2/auth/webauthn/passkeys/${id}`,
      { name: '  Work\nlaptop ' },
      auth,
    );
    assert.equal(renamed.body.name, 'Work laptop');
    const tenant = await t.app.services.tenants.resolve('default');
    const identities = await t.app.services.identities.list(tenant, userId);
    assert.deepEqual(
      identities.map((i) => [i.method, i.label]),
      [
        ['password', 'Password'],
        ['passkey', 'Work laptop'],
      ],
    );

    const adminList = await send(
      'GET',
      `/v2/admin/tenants/default/users/${userId}/passkeys`,
      undefined,
      admin,
    );
    assert.equal((adminList.body.passkeys as Array<{ id: string }>)[0]!.id, id);
    const removed = await send(
      'DELETE',
      `/v2/admin/tenants/default/users/${userId}/passkeys/${id}`,
      undefined,
      admin,
    );
    assert.equal(removed.status, 204);
    assert.equal((await events('passkey.deleted', userId))[0]!.via, 'admin_api');
    assert.equal((await send('DELETE', `/v2/auth/webauthn/passkeys/${id}`, undefined, auth)).status, 404);
    assert.equal((await events('passkey.renamed', userId)).length, 1);
  });

  test('the last way to sign in cannot be deleted', async () => {
    const { auth, userId, passkey } = await userWithPasskey();
    await t.db.query('UPDATE users SET password_hash = NULL WHERE id = $1', [userId]);
    const refused = await send('DELETE', `/v2/auth/webauthn/passkeys/${String(passkey.id)}`, undefined, auth);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'conflict');
  });
});
