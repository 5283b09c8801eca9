// The email-code factor end to end: a real SMTP server process receives the codes, the test reads them
// from the mail and types them back through the API, as a user would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Secret, TOTP } from 'otpauth';
import {
  STRONG_PASSWORD,
  startTestApp,
  uniqueEmail,
  type JsonResponse,
  type TestApp,
} from '../../../../test/support/app.js';
import { enrolEmail as enrolEmailFor } from '../../../../test/support/mfa.js';
import {
  codeInMail as codeIn,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../../test/support/smtp.js';
import type { UserRow } from '../../../db/repositories/users.js';

/** A user who can sign in, with an access token. */
async function newUser(
  t: TestApp,
  prefix: string,
): Promise<{ email: string; bearer: Record<string, string> }> {
  const email = uniqueEmail(prefix);
  const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
  assert.equal(registered.status, 201);
  return { email, bearer: { authorization: `Bearer ${registered.body.access_token as string}` } };
}

const ENROL_SUBJECT = /Confirm email codes/;
const SIGN_IN_SUBJECT = /sign-in code/;

describe('email codes as a second factor, over real SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let nextMail: MailReader;

  before(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp(smtpEnv(smtp));
    nextMail = mailReader(smtp);
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  const enrolEmail = (user: { email: string; bearer: Record<string, string> }) =>
    enrolEmailFor(t, user.bearer, user.email, nextMail);

  async function login(email: string): Promise<JsonResponse> {
    return t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
  }

  /** Logs in, asks for the email code, and returns the challenge with the code from the mail. */
  async function challengeWithCode(email: string): Promise<{ mfaToken: string; code: string }> {
    const first = await login(email);
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    const mfaToken = first.body.mfa_token as string;
    const sent = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor: 'email' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    return { mfaToken, code: codeIn(await nextMail(email, SIGN_IN_SUBJECT)) };
  }

  test('enrol, then sign in: mfa_required offers email; the mailed code completes with amr otp', async () => {
    const user = await newUser(t, 'email-mfa');
    // Email codes are something a user turns on: a fresh account signs in with its password alone.
    const before = await login(user.email);
    assert.equal(typeof before.body.access_token, 'string');

    await enrolEmail(user);
    const first = await login(user.email);
    assert.equal(first.status, 200);
    assert.equal(first.body.mfa_required, true);
    assert.ok((first.body.factors as string[]).includes('email'));
    assert.equal(first.body.access_token, undefined);

    const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'email' });
    assert.equal(sent.status, 202);
    assert.equal(sent.body.status, 'sent');
    const [local, domain] = user.email.split('@');
    assert.equal(sent.body.sent_to, `${local![0]}•••@${domain}`);
    assert.ok(!sent.body.sent_to.includes(local!), 'the address is masked');

    const mail = await nextMail(user.email, SIGN_IN_SUBJECT);
    const code = codeIn(mail);
    assert.ok(!mail.subject.includes(code), 'the code is not in the subject line');
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'email',
      code,
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const amr = decodeJwt(done.body.access_token as string).amr as string[];
    assert.deepEqual([...amr].sort(), ['mfa', 'otp', 'pwd']);
  });

  test('a wrong code is refused; a used code does not work again; the code sent last is the only one', async () => {
    const user = await newUser(t, 'email-wrong');
    await enrolEmail(user);
    const { mfaToken, code } = await challengeWithCode(user.email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor: 'email', code: wrong });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_credentials');
    const done = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor: 'email', code });
    assert.equal(done.status, 200);

    // A fresh sign-in cannot reuse the code.
    const again = await login(user.email);
    const reused = await t.post('/v2/mfa/challenge', {
      mfa_token: again.body.mfa_token,
      factor: 'email',
      code,
    });
    assert.equal(reused.status, 401);
    // Nor pass with a code mailed to set the factor up.
    assert.equal((await t.post('/v2/auth/mfa/email/send', {}, user.bearer)).status, 202);
    const enrolCode = codeIn(await nextMail(user.email, ENROL_SUBJECT));
    const enrolAtSignIn = await t.post('/v2/mfa/challenge', {
      mfa_token: again.body.mfa_token,
      factor: 'email',
      code: enrolCode,
    });
    assert.equal(enrolAtSignIn.status, 401);

    // A new code replaces the one before it.
    const older = await challengeWithCode(user.email);
    const newer = await t.post('/v2/mfa/challenge', { mfa_token: older.mfaToken, factor: 'email' });
    assert.equal(newer.status, 202);
    const newest = codeIn(await nextMail(user.email, SIGN_IN_SUBJECT));
    if (newest !== older.code) {
      const stale = await t.post('/v2/mfa/challenge', {
        mfa_token: older.mfaToken,
        factor: 'email',
        code: older.code,
      });
      assert.equal(stale.status, 401);
    }
    const fresh = await t.post('/v2/mfa/challenge', {
      mfa_token: older.mfaToken,
      factor: 'email',
      code: newest,
    });
    assert.equal(fresh.status, 200);
  });

  test("another user's code does not complete a sign-in", async () => {
    const alice = await newUser(t, 'email-alice');
    const bob = await newUser(t, 'email-bob');
    await enrolEmail(alice);
    await enrolEmail(bob);
    const aliceChallenge = await challengeWithCode(alice.email);
    const bobChallenge = await challengeWithCode(bob.email);
    if (aliceChallenge.code === bobChallenge.code) return; // one chance in a million
    const crossed = await t.post('/v2/mfa/challenge', {
      mfa_token: bobChallenge.mfaToken,
      factor: 'email',
      code: aliceChallenge.code,
    });
    assert.equal(crossed.status, 401);
    const own = await t.post('/v2/mfa/challenge', {
      mfa_token: bobChallenge.mfaToken,
      factor: 'email',
      code: bobChallenge.code,
    });
    assert.equal(own.status, 200);
  });

  test('a code takes five tries at most: then even the right one is refused', async () => {
    const user = await newUser(t, 'email-tries');
    const sent = await t.post('/v2/auth/mfa/email/send', {}, user.bearer);
    assert.equal(sent.status, 202);
    const code = codeIn(await nextMail(user.email, ENROL_SUBJECT));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    // In parallel: the tries are counted before the comparison, so a burst gets no more than five.
    const tries = await Promise.all(
      Array.from({ length: 8 }, () => t.post('/v2/auth/mfa/email/verify', { code: wrong }, user.bearer)),
    );
    assert.deepEqual(
      tries.map((r) => r.status),
      Array<number>(8).fill(401),
    );
    const right = await t.post('/v2/auth/mfa/email/verify', { code }, user.bearer);
    assert.equal(right.status, 401);
    const audit = await t.db.query<{ type: string }>(
      `SELECT type FROM audit_events WHERE type = 'mfa.code_attempts_exhausted' AND user_id =
         (SELECT id FROM users WHERE email = $1)`,
      [user.email],
    );
    assert.equal(audit.rows.length, 1);
  });

  test('five codes an hour per user, then 429 with Retry-After (sign-in and enrolment together)', async () => {
    const user = await newUser(t, 'email-cap');
    await enrolEmail(user); // one
    const first = await login(user.email);
    for (let i = 0; i < 4; i++) {
      const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'email' });
      assert.equal(sent.status, 202);
    }
    const capped = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'email' });
    assert.equal(capped.status, 429);
    assert.equal(capped.body.error, 'rate_limited');
    assert.ok(Number(capped.headers.get('retry-after')) > 60);
    const enrolCapped = await t.post('/v2/auth/mfa/email/send', {}, user.bearer);
    assert.equal(enrolCapped.status, 429);
    // Another user is not affected.
    const other = await newUser(t, 'email-cap-other');
    assert.equal((await t.post('/v2/auth/mfa/email/send', {}, other.bearer)).status, 202);
  });

  test('codes are kept only as MACs, and the audit trail names no code', async () => {
    const user = await newUser(t, 'email-rest');
    await enrolEmail(user);
    const { code } = await challengeWithCode(user.email);
    const stored = await t.db.query<{ row: string }>(
      `SELECT c::text AS row FROM mfa_one_time_codes c JOIN users u ON u.id = c.user_id WHERE u.email = $1`,
      [user.email],
    );
    assert.equal(stored.rows.length, 1);
    assert.ok(!stored.rows[0]!.row.includes(code));
    const hex = Buffer.from(code).toString('hex');
    assert.ok(!stored.rows[0]!.row.includes(hex));
    const audit = await t.db.query<{ type: string; data: string }>(
      `SELECT type, data::text AS data FROM audit_events WHERE user_id = (SELECT id FROM users WHERE email = $1)`,
      [user.email],
    );
    const types = audit.rows.map((r) => r.type);
    assert.ok(types.includes('mfa.email_enrolled'));
    assert.ok(types.includes('mfa.code_sent'));
    for (const row of audit.rows) assert.ok(!row.data.includes(code), `${row.type} names no code`);
  });

  test('without an SMS provider there is no SMS factor', async () => {
    const user = await newUser(t, 'no-sms');
    const refused = await t.post('/v2/auth/mfa/sms/send', { phone_number: '+12025550147' }, user.bearer);
    assert.equal(refused.status, 400);
    assert.match(refused.body.error_description as string, /no SMS provider/);
    await enrolEmail(user);
    const first = await login(user.email);
    assert.ok(!(first.body.factors as string[]).includes('sms'));
  });

  test('two factors: the sign-in offers both and honours the preferred one; one query finds them as each factor does', async () => {
    const user = await newUser(t, 'email-two');
    const tenant = await t.app.services.tenants.resolve('default');
    const row = (await t.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [user.email])).rows[0]!;
    // Every factor of the build (the passkey's too) is answered by the login's one query.
    const factors = t.app.services.secondFactors;
    assert.deepEqual(
      factors.filter((f) => f.enrolledSql === undefined).map((f) => f.id),
      [],
    );
    /** What the login asks (one query), and what each registered factor says on its own. */
    const enrolment = async () => {
      const each = [];
      for (const f of factors) if (await f.enrolled(tenant, row)) each.push(f.id);
      return { once: await t.app.services.login.enrolledFactors(tenant, row), each };
    };
    const none = await enrolment();
    assert.deepEqual(none.once, []);
    assert.deepEqual(none.once, none.each);

    await enrolEmail(user);
    const email = await enrolment();
    assert.deepEqual(email.once, ['email']);
    assert.deepEqual(email.once, email.each);

    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, user.bearer);
    assert.equal(enroll.status, 200);
    const totp = new TOTP({ secret: Secret.fromBase32(enroll.body.secret as string) });
    const confirmed = await t.post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, user.bearer);
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    const both = await enrolment();
    assert.deepEqual(both.once, ['totp', 'email']);
    assert.deepEqual(both.once, both.each);

    const first = await login(user.email);
    assert.deepEqual(first.body.factors, ['totp', 'email']);
    assert.equal(first.body.preferred_factor, 'totp', 'without a choice: the first factor');
    const chosen = await t.app.inject({
      method: 'PUT',
      url: '/v2/auth/mfa/preferred',
      headers: user.bearer,
      payload: { factor: 'email' },
    });
    assert.equal(chosen.statusCode, 204);
    const next = await login(user.email);
    assert.deepEqual(next.body.factors, ['totp', 'email']);
    assert.equal(next.body.preferred_factor, 'email', "the user's choice");
  });

  // Last: it makes the second step required for every user of the tenant.
  test('a tenant that requires a second factor lets a user without one turn email codes on while signing in', async () => {
    const admin = await t.app.services.admins.create(uniqueEmail('admin'));
    const policy = await fetch(`${t.base}/v2/admin/tenants/default/mfa-policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'required', factors: ['email'] }),
    });
    assert.equal(policy.status, 200, await policy.text());
    const user = await newUser(t, 'email-required');
    const first = await login(user.email);
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    assert.equal(first.body.enrollment_required, true);
    assert.deepEqual(first.body.factors, ['email']);
    const { code } = await (async () => {
      const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'email' });
      assert.equal(sent.status, 202);
      return { code: codeIn(await nextMail(user.email, SIGN_IN_SUBJECT)) };
    })();
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'email',
      code,
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    // From now on the user has the factor: the next sign-in asks for it, with no enrolment.
    const next = await login(user.email);
    assert.equal(next.body.enrollment_required, false);
    assert.deepEqual(next.body.factors, ['email']);
  });

  test('a tenant that does not offer email codes refuses to turn them on (403), and mails nothing', async () => {
    const admin = await t.app.services.admins.create(uniqueEmail('admin'));
    const policy = await fetch(`${t.base}/v2/admin/tenants/default/mfa-policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'optional', factors: ['totp', 'recovery_code'] }),
    });
    assert.equal(policy.status, 200, await policy.text());
    const user = await newUser(t, 'email-not-offered');
    const mails = smtp.messages().length;
    const refused = await t.post('/v2/auth/mfa/email/send', {}, user.bearer);
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'access_denied');
    assert.equal(smtp.messages().length, mails, 'no mail');
  });
});

describe('email codes expire', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ ...smtpEnv(smtp), MFA_EMAIL_OTP_TTL: '1s' });
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  test('a code typed after MFA_EMAIL_OTP_TTL is refused', async () => {
    const nextMail = mailReader(smtp);
    const user = await newUser(t, 'email-ttl');
    await t.post('/v2/auth/mfa/email/send', {}, user.bearer);
    const code = codeIn(await nextMail(user.email, ENROL_SUBJECT));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const late = await t.post('/v2/auth/mfa/email/verify', { code }, user.bearer);
    assert.equal(late.status, 401);
    assert.equal(late.body.error, 'invalid_credentials');
  });
});
