// The SMS-code factor end to end, against local servers speaking Twilio's Messages API and Vonage's SMS
// API: the test reads the texted code from what the fake provider received, as a phone would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../../test/support/app.js';
import {
  TEST_TWILIO as TWILIO,
  TEST_VONAGE as VONAGE,
  codeInSms as codeIn,
  startFakeTwilio,
  startFakeVonage,
  twilioEnv,
  vonageEnv,
  type FakeSmsProvider,
} from '../../../../test/support/fake-sms.js';
import { enrolledFactors } from '../../../../test/support/mfa.js';

let numbers = 0;
/** A valid US number no other test uses (the 555-01xx range is reserved for fiction). */
const newNumber = () => `+12025550${100 + (numbers++ % 100)}`;

async function newUser(t: TestApp, prefix: string) {
  const email = uniqueEmail(prefix);
  const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
  assert.equal(registered.status, 201);
  return { email, bearer: { authorization: `Bearer ${registered.body.access_token as string}` } };
}

/** What the database holds of a user's SMS factor and codes. */
async function smsRows(t: TestApp, email: string) {
  const factors = await t.db.query(
    `SELECT f.* FROM mfa_code_factors f JOIN users u ON u.id = f.user_id WHERE u.email = $1 AND f.channel = 'sms'`,
    [email],
  );
  const codes = await t.db.query(
    `SELECT c.* FROM mfa_one_time_codes c JOIN users u ON u.id = c.user_id WHERE u.email = $1`,
    [email],
  );
  return { factors: factors.rows.length, codes: codes.rows.length };
}

const providers = [
  { name: 'Twilio', start: () => startFakeTwilio(TWILIO), env: twilioEnv },
  { name: 'Vonage', start: () => startFakeVonage(VONAGE), env: vonageEnv },
] as const;

for (const provider of providers) {
  describe(`SMS codes through ${provider.name}`, () => {
    let fake: FakeSmsProvider<unknown>;
    let t: TestApp;
    before(async () => {
      fake = await provider.start();
      t = await startTestApp(provider.env(fake));
    });
    after(async () => {
      await t.close();
      await fake.stop();
    });

    test('enrol a number, then sign in: mfa_required offers sms; the texted code completes with amr sms', async () => {
      const user = await newUser(t, `sms-${provider.name}`);
      const number = newNumber();
      const sent = await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, user.bearer);
      assert.equal(sent.status, 202, JSON.stringify(sent.body));
      assert.equal(sent.body.sent_to, `+1 ••• ••• ${number.slice(-4)}`);
      const enrolCode = codeIn(fake.lastMessageTo(number));
      // Not a factor until the code comes back.
      assert.equal((await smsRows(t, user.email)).factors, 0);
      const pending = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
      assert.equal(typeof pending.body.access_token, 'string', 'an unconfirmed number asks for nothing');
      assert.deepEqual(await enrolledFactors(t, user.email), []);

      const verified = await t.post('/v2/auth/mfa/sms/verify', { code: enrolCode }, user.bearer);
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      assert.deepEqual(verified.body, {
        factor: 'sms',
        status: 'enabled',
        phone_number: `+1 ••• ••• ${number.slice(-4)}`,
      });
      assert.deepEqual(await enrolledFactors(t, user.email), ['sms']);

      const first = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
      assert.equal(first.body.mfa_required, true);
      assert.ok((first.body.factors as string[]).includes('sms'));
      const challenge = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'sms' });
      assert.equal(challenge.status, 202);
      assert.equal(challenge.body.sent_to, `+1 ••• ••• ${number.slice(-4)}`);
      const text = fake.lastMessageTo(number);
      const code = codeIn(text);
      assert.match(text!.body, /sign-in code/);
      assert.match(text!.body, new RegExp(`@127\\.0\\.0\\.1:\\d+ #${code}$`), 'origin-bound line (WebOTP)');
      // The enrolment code is not a sign-in code.
      const stale = await t.post('/v2/mfa/challenge', {
        mfa_token: first.body.mfa_token,
        factor: 'sms',
        code: enrolCode,
      });
      if (enrolCode !== code) assert.equal(stale.status, 401);
      const done = await t.post('/v2/mfa/challenge', {
        mfa_token: first.body.mfa_token,
        factor: 'sms',
        code,
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const amr = decodeJwt(done.body.access_token as string).amr as string[];
      assert.deepEqual([...amr].sort(), ['mfa', 'pwd', 'sms']);

      // The account API lists the factor with its masked number, and removes it (and the number).
      const listed = await t.get('/v2/auth/mfa/factors', user.bearer);
      const sms = (listed.body.factors as { id: string; type: string; label: string }[]).find(
        (f) => f.type === 'sms',
      );
      assert.equal(sms?.label, `Text message to +1 ••• ••• ${number.slice(-4)}`);
      const removed = await fetch(`${t.base}/v2/auth/mfa/factors/${sms.id}`, {
        method: 'DELETE',
        headers: user.bearer,
      });
      assert.equal(removed.status, 204, await removed.text());
      assert.deepEqual(await smsRows(t, user.email), { factors: 0, codes: 0 });
      const after = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
      assert.equal(typeof after.body.access_token, 'string');
    });
  });
}

describe('SMS enrolment and sending when things go wrong (Twilio)', () => {
  let twilio: Awaited<ReturnType<typeof startFakeTwilio>>;
  let t: TestApp;
  before(async () => {
    twilio = await startFakeTwilio(TWILIO);
    t = await startTestApp(twilioEnv(twilio));
  });
  after(async () => {
    await t.close();
    await twilio.stop();
  });

  test('a number that is not a mobile number in E.164 is refused before any request to the provider', async () => {
    const user = await newUser(t, 'sms-invalid');
    const requests = twilio.requests.length;
    for (const phone_number of [
      '12345',
      '+1 202 555',
      'not a number',
      '+33 1 23 45 67 89',
      '+1900555' + '0123',
    ]) {
      const refused = await t.post('/v2/auth/mfa/sms/send', { phone_number }, user.bearer);
      assert.equal(refused.status, 400, phone_number);
      assert.equal(refused.body.error, 'invalid_request');
    }
    assert.equal(twilio.requests.length, requests);
    assert.deepEqual(await smsRows(t, user.email), { factors: 0, codes: 0 });
  });

  test('provider down: a clear 503, and nothing half-written (no number, no usable code)', async () => {
    const user = await newUser(t, 'sms-down');
    const number = newNumber();
    // The provider reads the request (the code is in it) and never answers: the send times out.
    twilio.hang();
    try {
      const down = await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, user.bearer);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.error, 'service_unavailable');
      assert.match(down.body.error_description as string, /Text messages cannot be sent right now/);
      assert.ok(down.headers.get('retry-after'));
    } finally {
      twilio.recover();
    }
    const lost = twilio.requests.at(-1)!.form.Body!;
    const code = /^(\d{6}) /.exec(lost)![1]!;
    assert.deepEqual(await smsRows(t, user.email), { factors: 0, codes: 0 });
    const late = await t.post('/v2/auth/mfa/sms/verify', { code }, user.bearer);
    assert.equal(late.status, 401, 'the code that reached the provider does not work');
    assert.deepEqual(await smsRows(t, user.email), { factors: 0, codes: 0 });

    // A 5xx answer is the same, and the failures were audited without the number in clear.
    twilio.failWith({ status: 500, code: 20500 });
    try {
      const failed = await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, user.bearer);
      assert.equal(failed.status, 503);
    } finally {
      twilio.recover();
    }
    const audit = await t.db.query<{ data: string }>(
      `SELECT data::text AS data FROM audit_events
        WHERE type = 'mfa.code_send_failed' AND user_id = (SELECT id FROM users WHERE email = $1)`,
      [user.email],
    );
    assert.equal(audit.rows.length, 2);
    for (const row of audit.rows) {
      assert.match(row.data, /service_unavailable/);
      assert.ok(!row.data.includes(number.slice(2)), 'the number is masked');
    }
    // Failed sends are not held against the user's hourly budget.
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, user.bearer)).status,
        202,
      );
  });

  test('the provider refuses the number: a clear 400, nothing written', async () => {
    const user = await newUser(t, 'sms-refused');
    twilio.failWith({ status: 400, code: 21614 });
    try {
      const refused = await t.post('/v2/auth/mfa/sms/send', { phone_number: newNumber() }, user.bearer);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'invalid_request');
      assert.match(refused.body.error_description as string, /cannot receive text messages/);
    } finally {
      twilio.recover();
    }
    assert.deepEqual(await smsRows(t, user.email), { factors: 0, codes: 0 });
  });

  test('a failed sign-in text leaves the number enrolled and no usable code; a later one works', async () => {
    const user = await newUser(t, 'sms-signin-down');
    const number = newNumber();
    await t.post('/v2/auth/mfa/sms/send', { phone_number: number }, user.bearer);
    const enrolled = await t.post(
      '/v2/auth/mfa/sms/verify',
      { code: codeIn(twilio.lastMessageTo(number)) },
      user.bearer,
    );
    assert.equal(enrolled.status, 200);
    const first = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    twilio.failWith({ status: 503, code: 20503 });
    try {
      const down = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'sms' });
      assert.equal(down.status, 503);
    } finally {
      twilio.recover();
    }
    assert.deepEqual(await smsRows(t, user.email), { factors: 1, codes: 0 });
    const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'sms' });
    assert.equal(sent.status, 202);
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'sms',
      code: codeIn(twilio.lastMessageTo(number)),
    });
    assert.equal(done.status, 200);
  });

  test('five texts an hour per user, and per number whoever asks', async () => {
    const alice = await newUser(t, 'sms-cap-alice');
    for (let i = 0; i < 5; i++)
      assert.equal(
        (await t.post('/v2/auth/mfa/sms/send', { phone_number: newNumber() }, alice.bearer)).status,
        202,
      );
    const capped = await t.post('/v2/auth/mfa/sms/send', { phone_number: newNumber() }, alice.bearer);
    assert.equal(capped.status, 429);
    assert.ok(Number(capped.headers.get('retry-after')) > 60);

    const target = newNumber();
    for (let i = 0; i < 5; i++) {
      const someone = await newUser(t, `sms-cap-${i}`);
      assert.equal(
        (await t.post('/v2/auth/mfa/sms/send', { phone_number: target }, someone.bearer)).status,
        202,
      );
    }
    const sixth = await newUser(t, 'sms-cap-6');
    const requests = twilio.requests.length;
    const flooded = await t.post('/v2/auth/mfa/sms/send', { phone_number: target }, sixth.bearer);
    assert.equal(flooded.status, 429);
    assert.equal(twilio.requests.length, requests, 'nothing was sent');
  });

  test('an enrolment code confirms only the number it was texted to; a new number replaces the old', async () => {
    const user = await newUser(t, 'sms-change');
    const oldNumber = newNumber();
    await t.post('/v2/auth/mfa/sms/send', { phone_number: oldNumber }, user.bearer);
    await t.post('/v2/auth/mfa/sms/verify', { code: codeIn(twilio.lastMessageTo(oldNumber)) }, user.bearer);
    const newer = newNumber();
    await t.post('/v2/auth/mfa/sms/send', { phone_number: newer }, user.bearer);
    const first = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    // A code texted to a number not yet confirmed does not pass a sign-in.
    const unconfirmed = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'sms',
      code: codeIn(twilio.lastMessageTo(newer)),
    });
    assert.equal(unconfirmed.status, 401);
    // Until the new number is confirmed, sign-in codes still go to the old one.
    const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'sms' });
    assert.equal(sent.body.sent_to, `+1 ••• ••• ${oldNumber.slice(-4)}`);
    // That sign-in text replaced the enrolment code: the new number needs a fresh one.
    const replaced = await t.post(
      '/v2/auth/mfa/sms/verify',
      { code: codeIn(twilio.lastMessageTo(newer)) },
      user.bearer,
    );
    assert.equal(replaced.status, 401);
    await t.post('/v2/auth/mfa/sms/send', { phone_number: newer }, user.bearer);
    const confirmed = await t.post(
      '/v2/auth/mfa/sms/verify',
      { code: codeIn(twilio.lastMessageTo(newer)) },
      user.bearer,
    );
    assert.equal(confirmed.body.phone_number, `+1 ••• ••• ${newer.slice(-4)}`);
    const second = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    const again = await t.post('/v2/mfa/challenge', { mfa_token: second.body.mfa_token, factor: 'sms' });
    assert.equal(again.body.sent_to, `+1 ••• ••• ${newer.slice(-4)}`);
  });
});
