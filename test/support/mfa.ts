// Second factors as a user sets them up through the account API (bearer access token), and the codes an
// authenticator app would show: shared by the MFA module's API tests and its end-to-end browser tests.
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import { codeInSms, type FakeSmsProvider } from './fake-sms.js';
import { EnrolledFactors } from '../../src/auth/enrolled-factors.js';
import { findUserByEmailWithFlags, type UserRow } from '../../src/db/repositories/users.js';
import type { TestApp } from './app.js';
import { codeInMail, type MailReader } from './smtp.js';

/** The TOTP code of the time step `ahead` steps from now (a wide MFA_TOTP_WINDOW lets tests look ahead). */
export function totpCode(secret: string, ahead = 0, period = 30): string {
  return new TOTP({ secret: Secret.fromBase32(secret), period }).generate({
    timestamp: Date.now() + ahead * period * 1000,
  });
}

export const bearer = (token: unknown) => ({ authorization: `Bearer ${String(token)}` });

/**
 * Sets an authenticator app up (enrol, then confirm with the current step's code): its secret, and the
 * recovery codes of the enrolment answer (with the user's first factor only).
 */
export async function enrolTotp(
  t: Pick<TestApp, 'post'>,
  auth: Record<string, string>,
  path = '/v2/auth/mfa/totp',
): Promise<{ secret: string; recoveryCodes: string[]; enrollment: Record<string, unknown> }> {
  const enroll = await t.post(`${path}/enroll`, {}, auth);
  assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
  const secret = String(enroll.body.secret);
  const verify = await t.post(`${path}/verify`, { code: totpCode(secret) }, auth);
  assert.equal(verify.status, 200, JSON.stringify(verify.body));
  return { secret, recoveryCodes: (enroll.body.recovery_codes as string[]) ?? [], enrollment: enroll.body };
}

/** Turns email codes on: a code mailed to the account's address (read from the SMTP server), typed back. */
export async function enrolEmail(
  t: Pick<TestApp, 'post'>,
  auth: Record<string, string>,
  email: string,
  nextMail: MailReader,
): Promise<void> {
  const sent = await t.post('/v2/auth/mfa/email/send', {}, auth);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const code = codeInMail(await nextMail(email, /Confirm email codes/));
  const verified = await t.post('/v2/auth/mfa/email/verify', { code }, auth);
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.deepEqual(verified.body, { factor: 'email', status: 'enabled' });
}

/** Turns SMS codes on for `number`: the code the fake provider received, typed back. */
export async function enrolSms(
  t: Pick<TestApp, 'post'>,
  auth: Record<string, string>,
  number: string,
  sms: FakeSmsProvider<unknown>,
): Promise<void> {
  const sent = await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, auth);
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const verified = await t.post(
    '/v2/auth/mfa/sms/verify',
    { code: codeInSms(sms.lastMessageTo(number)) },
    auth,
  );
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
}

/**
 * The factors the login finds for the user (`email`, in the tenant `slug`) with its one query, after
 * checking that each registered factor's own `enrolled` answers the same, and so does the password
 * login's statement that reads the user with them (and that it answers none for an unknown address).
 */
export async function enrolledFactors(
  t: Pick<TestApp, 'app' | 'db'>,
  email: string,
  slug = 'default',
): Promise<string[]> {
  const tenant = await t.app.services.tenants.resolve(slug);
  const user = (
    await t.db.query<UserRow>('SELECT * FROM users WHERE tenant_id = $1 AND email = $2', [tenant.id, email])
  ).rows[0]!;
  const each: string[] = [];
  for (const factor of t.app.services.secondFactors)
    if (await factor.enrolled(tenant, user)) each.push(factor.id);
  const once = await t.app.services.login.enrolledFactors(tenant, user);
  assert.deepEqual(once, each, "the login's one query answers as each factor's enrolled()");
  const enrolled = new EnrolledFactors(t.db, t.app.services.secondFactors);
  const read = await findUserByEmailWithFlags(t.db, tenant.id, [user.email_normalized], enrolled.columns);
  assert.equal(read.user?.id, user.id);
  assert.ok(read.user);
  const withUser = await enrolled.answer(tenant, read.user, read.flags);
  assert.deepEqual(withUser, each, "the password login's user lookup answers as each factor's enrolled()");
  const nobody = await findUserByEmailWithFlags(
    t.db,
    tenant.id,
    ['nobody@example.invalid'],
    enrolled.columns,
  );
  assert.deepEqual(nobody, { user: null, flags: [] });
  return once;
}
