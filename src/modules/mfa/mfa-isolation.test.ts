// A code proves its own user in its own tenant only, for every factor (TOTP, recovery codes, email and SMS
// codes): Alice in tenant A, Bob in tenant A, and Alice's address (and phone) in tenant B, each with every
// factor; each one's valid code is refused on the others' sign-ins, and still works for its owner after.
// Codes arrive as users get them: mail through the real SMTP server, texts through the fake Twilio.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import {
  codeInSms,
  startFakeTwilio,
  TEST_TWILIO,
  twilioEnv,
  type FakeSmsProvider,
} from '../../../test/support/fake-sms.js';
import { bearer, enrolEmail, enrolSms, enrolTotp, totpCode } from '../../../test/support/mfa.js';
import {
  codeInMail,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';
import { createTenantChecked } from '../../admin/tenants.js';

interface User {
  label: string;
  /** Requests under the user's tenant (/t/{slug}…). */
  api: Pick<TestApp, 'post'>;
  email: string;
  phone: string;
  secret: string;
  step: number;
  recoveryCodes: string[];
}

describe('a code of another user or tenant', () => {
  let smtp: TestSmtpServer;
  let twilio: FakeSmsProvider<unknown>;
  let t: TestApp;
  let nextMail: MailReader;
  let alice: User;
  let bob: User;
  let aliceInB: User;

  /** A user with every factor: an authenticator app (and so recovery codes), email codes, a phone. */
  async function withEveryFactor(label: string, tenant: string, email: string, phone: string): Promise<User> {
    const api = {
      post: (path: string, body: unknown, headers?: Record<string, string>) =>
        t.post(`/t/${tenant}${path}`, body, headers),
    };
    const registered = await api.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const auth = bearer(registered.body.access_token);
    const { secret, recoveryCodes } = await enrolTotp(api, auth);
    assert.equal(recoveryCodes.length, 10);
    await enrolEmail(api, auth, email, nextMail);
    await enrolSms(api, auth, phone, twilio);
    return { label, api, email, phone, secret, step: 0, recoveryCodes };
  }

  before(async () => {
    smtp = await startSmtpServer();
    twilio = await startFakeTwilio(TEST_TWILIO);
    t = await startTestApp({ ...smtpEnv(smtp), ...twilioEnv(twilio), MFA_TOTP_WINDOW: '6' });
    nextMail = mailReader(smtp);
    await createTenantChecked(t.db, { slug: 'tenant-a', name: 'A' });
    await createTenantChecked(t.db, { slug: 'tenant-b', name: 'B' });
    const address = uniqueEmail('alice');
    // Alice keeps her address and her phone in both tenants; Bob has his own.
    alice = await withEveryFactor('Alice in A', 'tenant-a', address, '+12025550181');
    bob = await withEveryFactor('Bob in A', 'tenant-a', uniqueEmail('bob'), '+12025550182');
    aliceInB = await withEveryFactor('Alice in B', 'tenant-b', address, '+12025550181');
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
    await twilio?.stop();
  });

  const signIn = async (user: User) => {
    const first = await user.api.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    return String(first.body.mfa_token);
  };
  const answer = (user: User, mfaToken: string, factor: string, code: string) =>
    user.api.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor, code });

  /** Asks for the code of `factor` on the challenge and reads it where it arrived. */
  async function sentCode(user: User, mfaToken: string, factor: 'email' | 'sms'): Promise<string> {
    const sent = await user.api.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    return factor === 'email'
      ? codeInMail(await nextMail(user.email, /sign-in code/))
      : codeInSms(twilio.lastMessageTo(user.phone));
  }

  const factors: { factor: string; codeOf: (user: User, mfaToken: string) => Promise<string> }[] = [
    { factor: 'totp', codeOf: async (user) => totpCode(user.secret, ++user.step) },
    { factor: 'recovery_code', codeOf: async (user) => user.recoveryCodes.shift()! },
    // One at a time: Alice's two tenants share her mailbox and her phone.
    { factor: 'email', codeOf: (user, mfaToken) => sentCode(user, mfaToken, 'email') },
    { factor: 'sms', codeOf: (user, mfaToken) => sentCode(user, mfaToken, 'sms') },
  ];

  for (const { factor, codeOf } of factors) {
    test(`${factor}: refused on another user's and another tenant's sign-in; its owner still signs in with it`, async () => {
      const users = [alice, bob, aliceInB];
      const tokens = new Map<User, string>();
      const codes = new Map<User, string>();
      for (const user of users) {
        const mfaToken = await signIn(user);
        tokens.set(user, mfaToken);
        codes.set(user, await codeOf(user, mfaToken));
      }
      for (const [target, other] of [
        [alice, bob],
        [alice, aliceInB],
        [aliceInB, alice],
      ] as const) {
        // A six-digit code could be the same by chance (one in a million): nothing to prove then.
        if (codes.get(other) === codes.get(target)) continue;
        const crossed = await answer(target, tokens.get(target)!, factor, codes.get(other)!);
        assert.equal(
          crossed.status,
          401,
          `${other.label}'s code for ${target.label}: ${JSON.stringify(crossed.body)}`,
        );
        assert.equal(crossed.body.error, 'invalid_credentials');
      }
      for (const user of users) {
        const own = await answer(user, tokens.get(user)!, factor, codes.get(user)!);
        assert.equal(own.status, 200, `${user.label}'s own code: ${JSON.stringify(own.body)}`);
      }
    });
  }
});
