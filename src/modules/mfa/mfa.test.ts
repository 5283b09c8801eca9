// MFA over real HTTP on a fresh database (PostgreSQL or PGlite): TOTP enrolment and sign-in, replays,
// recovery codes, the tenant policy (required: enrolment during the sign-in), removing the last factor,
// the admin reset, trusted devices and adaptive rules, the HelloJohn-compatible aliases.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  STRONG_PASSWORD,
  startTestApp,
  uniqueEmail,
  type JsonResponse,
  type TestApp,
} from '../../../test/support/app.js';
import { metricValue } from '../../../test/support/cluster.js';
import { bearer, enrolledFactors, enrolTotp, totpCode as codeOf } from '../../../test/support/mfa.js';
import { createTenantChecked } from '../../admin/tenants.js';
import { findUserById } from '../../db/repositories/users.js';

describe('MFA: TOTP, recovery codes, policy', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  before(async () => {
    // A wide window lets a test use the next few time steps without waiting for the clock.
    t = await startTestApp({ MFA_TOTP_WINDOW: '6', SESSION_RECENT_LOGIN: '2s' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  });
  after(() => t.close());

  /** A registered user with a confirmed TOTP: its secret, recovery codes and an access token. */
  async function enrolledUser(path = '/v2/auth/mfa/totp') {
    const email = uniqueEmail('mfa');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    const auth = bearer(registered.body.access_token);
    const { secret, recoveryCodes: recovery, enrollment } = await enrolTotp(t, auth, path);
    assert.match(String(enrollment.otpauth_uri), /^otpauth:\/\/totp\/.+secret=/);
    assert.match(String(enrollment.qr_svg), /^<svg/);
    assert.equal(recovery.length, 10);
    return {
      email,
      secret,
      recovery,
      auth,
      userId: String(decodeJwt(String(registered.body.access_token)).sub),
    };
  }

  const login = (email: string) => t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });

  test('enrol, then sign in: mfa_required, the challenge completes with amr pwd+otp+mfa', async () => {
    const { email, secret } = await enrolledUser();
    const first = await login(email);
    assert.equal(first.status, 200);
    assert.equal(first.body.mfa_required, true);
    assert.deepEqual(first.body.available_factors, ['totp', 'recovery_code']);
    assert.equal(first.body.preferred_factor, 'totp');
    assert.equal(first.body.enrollment_required, false);

    const wrong = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: '000000' === codeOf(secret, 1) ? '111111' : '000000',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_credentials');

    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: codeOf(secret, 1),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(decodeJwt(String(done.body.access_token)).amr, ['pwd', 'otp', 'mfa']);

    // The challenge is spent; the same code on a new challenge is a replay.
    const reused = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: codeOf(secret, 2),
    });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    const second = await login(email);
    const replay = await t.post('/v2/mfa/challenge', {
      mfa_token: second.body.mfa_token,
      factor: 'totp',
      code: codeOf(secret, 1),
    });
    assert.equal(replay.status, 401, 'a code is accepted once');
    // An older step than the last one accepted is refused too.
    const older = await t.post('/v2/mfa/challenge', {
      mfa_token: second.body.mfa_token,
      factor: 'totp',
      code: codeOf(secret, 0),
    });
    assert.equal(older.status, 401);
  });

  test('two parallel challenges with the same code: exactly one passes', async () => {
    const { email, secret } = await enrolledUser();
    const challenges = await Promise.all([login(email), login(email), login(email)]);
    const code = codeOf(secret, 1);
    const answers = await Promise.all(
      challenges.map((c) =>
        t.post('/v2/mfa/challenge', { mfa_token: c.body.mfa_token, factor: 'totp', code }),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401]);
  });

  test('a code of another user, a token of another tenant', async () => {
    const alice = await enrolledUser();
    const bob = await enrolledUser();
    const challenge = await login(alice.email);
    const bobsCode = await t.post('/v2/mfa/challenge', {
      mfa_token: challenge.body.mfa_token,
      factor: 'totp',
      code: codeOf(bob.secret, 1),
    });
    assert.equal(bobsCode.status, 401);
    await createTenantChecked(t.db, { slug: 'other-mfa', name: 'Other' });
    const elsewhere = await t.post('/t/other-mfa/v2/mfa/challenge', {
      mfa_token: challenge.body.mfa_token,
      factor: 'totp',
      code: codeOf(alice.secret, 1),
    });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.error, 'invalid_grant');
  });

  test('recovery codes: single use, remaining count, regenerate voids the old ones', async () => {
    const { email, recovery, auth } = await enrolledUser();
    const use = async (code: string) => {
      const c = await login(email);
      return t.post('/v2/mfa/challenge', { mfa_token: c.body.mfa_token, factor: 'recovery_code', code });
    };
    const ok = await use(recovery[0]!.toUpperCase());
    assert.equal(ok.status, 200, 'case and dashes do not matter');
    assert.deepEqual(decodeJwt(String(ok.body.access_token)).amr, ['pwd', 'otp', 'mfa']);
    assert.deepEqual(
      ok.body.uses_left,
      { factor: 'recovery_code', remaining: 9 },
      'the answer says how many are left',
    );
    assert.equal((await use(recovery[0]!)).status, 401, 'a recovery code works once');
    const list = await t.get('/v2/auth/mfa/factors', auth);
    const codes = (list.body.factors as { type: string; remaining?: number }[]).find(
      (f) => f.type === 'recovery_code',
    );
    assert.equal(codes?.remaining, 9);
    const used = await t.db.query<{ data: { remaining: number } }>(
      `SELECT data FROM audit_events WHERE type = 'mfa.recovery_code_used' ORDER BY id DESC LIMIT 1`,
    );
    assert.equal(used.rows[0]!.data.remaining, 9);

    const rotated = await t.post('/v2/mfa/recovery/rotate', {}, auth);
    assert.equal(rotated.status, 200);
    assert.equal((await use(recovery[1]!)).status, 401, 'old codes are void');
    const fresh = await use((rotated.body.recovery_codes as string[])[0]!);
    assert.equal(fresh.status, 200);
    assert.equal((fresh.body.uses_left as { remaining: number }).remaining, 9, 'a new set of ten');
  });

  test('removing the last factor needs a recent sign-in; preferred factor; aliases', async () => {
    const { auth, email, secret } = await enrolledUser('/v2/mfa/totp');
    const factors = await t.get('/v2/mfa/factors', auth);
    assert.equal(factors.status, 200);
    assert.equal(factors.body.preferred_factor, 'totp');
    const totpId = (factors.body.factors as { id: string; type: string }[]).find(
      (f) => f.type === 'totp',
    )!.id;
    assert.equal(
      (
        await t.app.inject({
          method: 'PUT',
          url: '/v2/auth/mfa/preferred',
          headers: auth,
          payload: { factor: 'recovery_code' },
        })
      ).statusCode,
      400,
      'a fallback is never preferred',
    );
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const stale = await t.app.inject({
      method: 'DELETE',
      url: `/v2/auth/mfa/factors/${totpId}`,
      headers: auth,
    });
    assert.equal(stale.statusCode, 401);
    assert.equal(stale.json<{ error: string }>().error, 'login_required');
    const c = await login(email);
    const fresh = await t.post('/v2/mfa/totp/challenge', {
      mfa_token: c.body.mfa_token,
      code: codeOf(secret, 1),
    });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    const disabled = await t.post('/v2/mfa/totp/disable', {}, bearer(fresh.body.access_token));
    assert.equal(disabled.status, 200);
    const after = await t.get('/v2/auth/mfa/factors', bearer(fresh.body.access_token));
    assert.deepEqual(after.body.factors, [], 'the recovery codes went with the last factor');
    const plain = await login(email);
    assert.equal(typeof plain.body.access_token, 'string', 'no second step without a factor');
  });

  test('policy required: a user without a factor sets one up during the sign-in', async () => {
    await createTenantChecked(t.db, { slug: 'strict-mfa', name: 'Strict' });
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/v2/admin/tenants/strict-mfa/mfa-policy',
      headers: admin,
      payload: { mode: 'always' },
    });
    assert.equal(bad.statusCode, 400);
    const set = await t.app.inject({
      method: 'PUT',
      url: '/v2/admin/tenants/strict-mfa/mfa-policy',
      headers: admin,
      payload: { mode: 'required' },
    });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json<{ mode: string }>().mode, 'required');
    const email = uniqueEmail('strict');
    const registered = await t.post('/t/strict-mfa/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.body.access_token, undefined, 'registration does not sign in past the policy');
    const first = await t.post('/t/strict-mfa/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(first.body.enrollment_required, true);
    // Factors that can be set up during a sign-in: the app, and email codes (to the account's address).
    assert.deepEqual(first.body.factors, ['totp', 'email']);
    const enroll = await t.post('/t/strict-mfa/v2/auth/mfa/totp/enroll', { mfa_token: first.body.mfa_token });
    assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
    assert.equal((enroll.body.recovery_codes as string[]).length, 10);
    const done = await t.post('/t/strict-mfa/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: codeOf(String(enroll.body.secret)),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(decodeJwt(String(done.body.access_token)).amr, ['pwd', 'otp', 'mfa']);
    const again = await t.post('/t/strict-mfa/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(again.body.enrollment_required, false);
    const noEnroll = await t.post('/t/strict-mfa/v2/auth/mfa/totp/enroll', {
      mfa_token: again.body.mfa_token,
    });
    assert.equal(noEnroll.status, 400, 'a challenge without enrolment cannot set a factor up');

    // Admin reset: the next sign-in sets a factor up again.
    const user = registered.body.user as { id: string };
    const reset = await t.app.inject({
      method: 'DELETE',
      url: `/v2/admin/tenants/strict-mfa/users/${user.id}/mfa`,
      headers: admin,
    });
    assert.equal(reset.statusCode, 200, reset.body);
    assert.deepEqual(reset.json<{ removed: string[] }>().removed, ['totp', 'recovery_code']);
    const afterReset = await t.post('/t/strict-mfa/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(afterReset.body.enrollment_required, true);
    const audit = await t.db.query<{ data: { via: string } }>(
      `SELECT data FROM audit_events WHERE type = 'mfa.reset' AND user_id = $1`,
      [user.id],
    );
    assert.equal(audit.rows[0]!.data.via, 'admin_api');
  });

  test("a sign-in's database round trips: password alone 2; with TOTP, 1 then 4", async () => {
    const roundTrips = async () => {
      const text = await (await fetch(`${t.managementBase}/metrics`)).text();
      return (
        metricValue(text, 'hellojohn_db_query_duration_seconds_count') +
        2 * metricValue(text, 'hellojohn_db_transactions_total')
      );
    };
    const counted = async (call: () => Promise<JsonResponse>) => {
      const before = await roundTrips();
      const response = await call();
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { response, roundTrips: (await roundTrips()) - before };
    };
    const plain = uniqueEmail('plain');
    await t.post('/v2/auth/register', { email: plain, password: STRONG_PASSWORD });
    // The user with which factors they have (one statement), the session (with its refresh token and audit).
    assert.equal((await counted(() => login(plain))).roundTrips, 2);

    const { email, secret } = await enrolledUser();
    const challenge = (mfaToken: unknown, ahead: number) =>
      t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor: 'totp', code: codeOf(secret, ahead) });
    // The user with which factors they have: with one factor and no trusted device, no MFA settings.
    const first = await counted(() => login(email));
    assert.equal(first.roundTrips, 1);
    // The user, the TOTP, its time step claimed, the session.
    assert.equal((await counted(() => challenge(first.response.body.mfa_token, 1))).roundTrips, 4);
  });

  test("the login's one query answers as each factor: a pending TOTP is not ready; recovery codes while one is unused", async () => {
    const email = uniqueEmail('enrolled');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    const auth = bearer(registered.body.access_token);
    assert.deepEqual(await enrolledFactors(t, email), []);
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, auth);
    assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
    // The recovery codes of the first factor are stored unused already; a fallback alone asks for nothing.
    assert.deepEqual(await enrolledFactors(t, email), ['recovery_code'], 'a pending TOTP is not ready');
    assert.equal(typeof (await login(email)).body.access_token, 'string');
    const verify = await t.post(
      '/v2/auth/mfa/totp/verify',
      { code: codeOf(String(enroll.body.secret)) },
      auth,
    );
    assert.equal(verify.status, 200, JSON.stringify(verify.body));
    assert.deepEqual(await enrolledFactors(t, email), ['totp', 'recovery_code']);
    await t.db.query(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = (SELECT id FROM users WHERE email = $1) AND id <> (
          SELECT id FROM mfa_recovery_codes WHERE user_id = (SELECT id FROM users WHERE email = $1) LIMIT 1)`,
      [email],
    );
    assert.deepEqual(await enrolledFactors(t, email), ['totp', 'recovery_code'], 'one unused code left');
    await t.db.query(
      'UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = (SELECT id FROM users WHERE email = $1)',
      [email],
    );
    assert.deepEqual(await enrolledFactors(t, email), ['totp'], 'every code used');
  });

  test('trusted devices: honoured, void after sign-out everywhere; adaptive rules', async () => {
    const { email, userId } = await enrolledUser();
    const tenant = await t.app.services.tenants.resolve('default');
    const policy = t.app.services.modules.find((m) => m.module.id === 'mfa')!.parts.secondStepPolicy!;
    const user = (await findUserById(t.db, tenant.id, userId))!;
    const meta = { ip: '203.0.113.7', userAgent: 'Browser A' };
    const cookie = (await policy.rememberDevice!(tenant, user, meta))!;
    const withCookie = { ...meta, cookies: { [cookie.name]: cookie.value } };
    const enrolled = ['totp', 'recovery_code'];
    const decide = (m: typeof meta, u = user, stepUp = false, tnt = tenant) =>
      policy.decide(tnt, u, { enrolled, meta: m, stepUp });

    assert.equal((await decide(meta)).required, true, 'no cookie: challenged');
    assert.equal((await decide(withCookie)).required, false, 'trusted device: skipped');
    assert.equal((await decide(withCookie, user, true)).required, true, 'step-up is never skipped');
    assert.equal(
      (await decide({ ...withCookie, userAgent: 'Browser B' })).required,
      true,
      'new_device: another browser',
    );
    const lenient = { ...tenant, settings: { mfa: { adaptive: { new_device: false } } } };
    assert.equal(
      (await decide({ ...withCookie, userAgent: 'Browser B' }, user, false, lenient)).required,
      false,
    );
    const networks = { ...tenant, settings: { mfa: { adaptive: { new_ip_network: true } } } };
    assert.equal(
      (await decide(withCookie, user, false, networks)).required,
      true,
      'new_ip_network: no session came from 203.0.113.0/24',
    );
    assert.equal(
      (await decide({ ...withCookie, ip: '127.0.0.1' }, user, false, networks)).required,
      false,
      'the network of an earlier session',
    );
    for (let i = 0; i < 3; i++) await t.post('/v2/auth/login', { email, password: 'wrong-password-1' });
    assert.equal((await decide(withCookie)).required, true, 'repeated_failures: 3 in the last hour');
    const tolerant = { ...tenant, settings: { mfa: { adaptive: { repeated_failures: false } } } };
    assert.equal((await decide(withCookie, user, false, tolerant)).required, false);
    const expired = {
      ...tenant,
      settings: { mfa: { remember_device_days: 0, adaptive: { repeated_failures: false } } },
    };
    assert.equal((await decide(withCookie, user, false, expired)).required, true, 'remembering turned off');

    // Sign out everywhere: the device is no longer trusted.
    const signedIn = await t.post('/v2/mfa/challenge', {
      mfa_token: (await login(email)).body.mfa_token,
      factor: 'recovery_code',
      code: 'not-a-code-at-all',
    });
    assert.equal(signedIn.status, 401);
    await t.db.query('UPDATE users SET sessions_revoked_at = now() WHERE id = $1', [userId]);
    const revoked = (await findUserById(t.db, tenant.id, userId))!;
    assert.equal((await decide(withCookie, revoked, false, tolerant)).required, true);
  });
});
