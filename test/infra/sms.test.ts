// The SMS adapter against local servers that speak Twilio's Messages API and Vonage's SMS API
// (test/support/fake-sms.ts), over real HTTP: the exact requests sent, and how every kind of provider
// answer (and no answer) becomes the error a user sees.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type SmsConfig } from '../../src/config.js';
import { HelloJohnError, type ErrorCode } from '../../src/errors.js';
import {
  CANNOT_RECEIVE_TEXTS,
  CANNOT_SEND_TEXTS,
  NOT_A_PHONE_NUMBER,
  createSmsSender,
  maskPhoneNumber,
  normalizePhoneNumber,
  type SmsSender,
} from '../../src/infra/sms/index.js';
import { createLogger } from '../../src/log.js';
import { startFakeTwilio, startFakeVonage, type FakeSmsProvider } from '../support/fake-sms.js';

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = `twilio-token-${randomBytes(12).toString('hex')}`;
const SERVICE_SID = `MG${randomBytes(16).toString('hex')}`;
const API_KEY = `key${randomBytes(4).toString('hex')}`;
const API_SECRET = `vonage-secret-${randomBytes(12).toString('hex')}`;
const SENDER = '+15005550006';
const USER_NUMBER = '+12025550147';
const TEXT = `Your HelloJohn code is ${String(100_000 + (randomBytes(3).readUIntBE(0, 3) % 900_000))}`;

/** Every log line of the file: checked at the end for credentials, numbers and texts. */
const logLines: string[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  }),
);
/** Every error a sender raised, likewise checked. */
const raised: unknown[] = [];

function smsConfig(env: Record<string, string>): SmsConfig {
  const sms = loadConfig(env).sms;
  assert.ok(sms);
  return sms;
}

function twilio(fake: FakeSmsProvider<unknown>, env: Record<string, string> = {}): SmsSender {
  const config = smsConfig({
    MFA_SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM: SENDER,
    TWILIO_BASE_URL: `${fake.baseUrl}/`,
    ...env,
  });
  return createSmsSender(config, logger)!;
}

function vonage(fake: FakeSmsProvider<unknown>, env: Record<string, string> = {}): SmsSender {
  const config = smsConfig({
    MFA_SMS_PROVIDER: 'vonage',
    VONAGE_API_KEY: API_KEY,
    VONAGE_API_SECRET: API_SECRET,
    VONAGE_FROM: 'HelloJohn',
    VONAGE_BASE_URL: fake.baseUrl,
    ...env,
  });
  return createSmsSender(config, logger)!;
}

/** The send fails with `code` and `description` (and `retryAfterSeconds` when given). */
async function refused(
  sending: Promise<unknown>,
  code: ErrorCode,
  description: string,
  retryAfterSeconds?: number,
): Promise<HelloJohnError> {
  const error = await sending.then(
    () => assert.fail(`expected ${code}, the message was sent`),
    (error: unknown) => error,
  );
  raised.push(error);
  assert.ok(error instanceof HelloJohnError, `expected a HelloJohnError, got ${String(error)}`);
  assert.equal(error.code, code);
  assert.equal(error.description, description);
  if (retryAfterSeconds !== undefined) {
    assert.equal(error.retryAfterSeconds, retryAfterSeconds);
    assert.equal(error.headers['retry-after'], String(retryAfterSeconds));
  }
  return error;
}

const lastLog = () => JSON.parse(logLines.at(-1)!) as Record<string, unknown>;

describe('phone numbers', () => {
  test('normalizePhoneNumber gives E.164 for international input, and national input with a country', async () => {
    assert.equal(await normalizePhoneNumber('+1 415-555-0123'), '+14155550123');
    assert.equal(await normalizePhoneNumber(' +1 (415) 555 0123 '), '+14155550123');
    assert.equal(await normalizePhoneNumber('(415) 555-0123', 'US'), '+14155550123');
    assert.equal(await normalizePhoneNumber('06 12 34 56 78', 'FR'), '+33612345678');
    assert.equal(await normalizePhoneNumber('+44 7911 123456', 'FR'), '+447911123456');
  });

  test('anything that is not a valid number is refused with invalid_request', async () => {
    for (const input of [
      '',
      'not a number',
      '12345',
      '(415) 555-0123', // national form without a country
      '+1 415 555 01234', // one digit too many for the US plan
      '+44 7700 900123', // a UK number outside the numbering plan
      '+999 1234567', // no such country code
      `+1 415 555 0123${' '.repeat(40)}`, // too long to be typed as a number
    ]) {
      await assert.rejects(
        normalizePhoneNumber(input),
        (error: unknown) =>
          error instanceof HelloJohnError &&
          error.code === 'invalid_request' &&
          error.description === NOT_A_PHONE_NUMBER,
        input,
      );
    }
  });

  test('numbers that cannot take a text (landline) or bill the sender (premium rate) are refused', async () => {
    for (const input of ['+1 900 555 0123', '+49 900 1234567', '+44 20 7946 0123']) {
      await assert.rejects(
        normalizePhoneNumber(input),
        (error: unknown) =>
          error instanceof HelloJohnError &&
          error.code === 'invalid_request' &&
          error.description === CANNOT_RECEIVE_TEXTS,
        input,
      );
    }
  });

  test('maskPhoneNumber keeps the country code and the last digits only', async () => {
    assert.equal(await maskPhoneNumber('+14155550123'), '+1 ••• ••• 0123');
    assert.equal(await maskPhoneNumber('+33612345678'), '+33 • •• •• 56 78');
    assert.equal(await maskPhoneNumber('+447911123456'), '+44 •••• ••3456');
    assert.equal(await maskPhoneNumber('+37060012345'), '+370 ••• •2345');
    await assert.rejects(maskPhoneNumber('415 555 0123'), TypeError);
  });
});

describe('Twilio Messages API', () => {
  let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
  before(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  });
  after(() => fake.stop());

  test('a send is one form POST to the account’s Messages.json with Basic auth; the sid is the message id', async () => {
    const sender = twilio(fake);
    assert.equal(sender.provider, 'twilio');
    const { messageId } = await sender.send(USER_NUMBER, TEXT);
    const [request] = fake.requests.splice(0);
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    assert.equal(
      request.headers.authorization,
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    );
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(request.headers.accept, 'application/json');
    assert.deepEqual(request.form, { To: USER_NUMBER, Body: TEXT, From: SENDER });
    assert.match(messageId, /^SM[0-9a-f]{32}$/);
    assert.deepEqual(fake.lastMessageTo(USER_NUMBER), {
      to: USER_NUMBER,
      from: SENDER,
      body: TEXT,
      messageId,
    });
  });

  test('a Messaging Service sends without From; a number typed loosely is sent in E.164', async () => {
    const sender = twilio(fake, { TWILIO_FROM: '', TWILIO_MESSAGING_SERVICE_SID: SERVICE_SID });
    await sender.send('+1 (202) 555-0147', TEXT);
    const [request] = fake.requests.splice(0);
    assert.deepEqual(request?.form, { To: USER_NUMBER, Body: TEXT, MessagingServiceSid: SERVICE_SID });
  });

  test('a recipient Twilio refuses is invalid_request: "This phone number cannot receive text messages"', async () => {
    // Invalid 'To', unverified on a trial account, unsubscribed (STOP), not a mobile, region not enabled.
    for (const code of [21211, 21608, 21610, 21614, 21408]) {
      fake.failWith({ status: 400, code });
      const error = await refused(
        twilio(fake).send(USER_NUMBER, TEXT),
        'invalid_request',
        CANNOT_RECEIVE_TEXTS,
      );
      assert.equal(error.status, 400);
      assert.equal(lastLog().providerCode, String(code));
    }
    fake.recover();
  });

  test('throttling (429, code 20429) is rate_limited with the Retry-After Twilio gave, else 10 s', async () => {
    fake.failWith({ status: 429, code: 20429, retryAfter: '7' });
    await refused(
      twilio(fake).send(USER_NUMBER, TEXT),
      'rate_limited',
      `${CANNOT_SEND_TEXTS}; try again in 7 seconds.`,
      7,
    );
    assert.equal(lastLog().providerCode, '20429');
    fake.failWith({ status: 429, code: 20429 });
    await refused(
      twilio(fake).send(USER_NUMBER, TEXT),
      'rate_limited',
      `${CANNOT_SEND_TEXTS}; try again in 10 seconds.`,
      10,
    );
    fake.recover();
  });

  test('wrong credentials are service_unavailable, logged with Twilio’s code 20003', async () => {
    const sender = twilio(fake, { TWILIO_AUTH_TOKEN: `${AUTH_TOKEN}-old` });
    const error = await refused(sender.send(USER_NUMBER, TEXT), 'service_unavailable', CANNOT_SEND_TEXTS);
    assert.equal(error.status, 503);
    assert.deepEqual(
      { code: lastLog().providerCode, status: lastLog().httpStatus, level: lastLog().level },
      { code: '20003', status: 401, level: 50 },
    );
    assert.equal(fake.messages.length, 2, 'nothing was accepted');
  });

  test('a sender the account does not own, a 500 and a proxy’s HTML 502 are service_unavailable', async () => {
    for (const failure of [
      { status: 400, code: 21606 },
      { status: 500, code: 20500 },
      { status: 502, rawBody: '<html><body>Bad Gateway</body></html>' },
    ]) {
      fake.failWith(failure);
      await refused(twilio(fake).send(USER_NUMBER, TEXT), 'service_unavailable', CANNOT_SEND_TEXTS);
    }
    fake.recover();
  });
});

describe('Vonage SMS API', () => {
  let fake: Awaited<ReturnType<typeof startFakeVonage>>;
  before(async () => {
    fake = await startFakeVonage({ apiKey: API_KEY, apiSecret: API_SECRET });
  });
  after(() => fake.stop());

  test('a send is one form POST to /sms/json with the credentials in the form and `to` without the plus', async () => {
    const sender = vonage(fake);
    assert.equal(sender.provider, 'vonage');
    const { messageId } = await sender.send(USER_NUMBER, TEXT);
    const [request] = fake.requests.splice(0);
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/sms/json');
    assert.equal(request.headers.authorization, undefined);
    assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(request.form, {
      api_key: API_KEY,
      api_secret: API_SECRET,
      from: 'HelloJohn',
      to: '12025550147',
      text: TEXT,
    });
    assert.match(messageId, /^[0-9A-F]{16}$/);
    assert.equal(fake.lastMessageTo(USER_NUMBER)?.body, TEXT);
  });

  test('a number sender is sent as E.164 digits without the plus', async () => {
    await vonage(fake, { VONAGE_FROM: '+447911123456' }).send('+33612345678', TEXT);
    const [request] = fake.requests.splice(0);
    assert.equal(request?.form.from, '447911123456');
    assert.equal(request?.form.to, '33612345678');
  });

  test('a recipient Vonage refuses (6 unroutable, 7 barred, 29 not whitelisted) is invalid_request', async () => {
    for (const status of ['6', '7', '29']) {
      fake.failWith({ status });
      await refused(vonage(fake).send(USER_NUMBER, TEXT), 'invalid_request', CANNOT_RECEIVE_TEXTS);
      assert.equal(lastLog().providerCode, status);
    }
    fake.recover();
  });

  test('throttling (status 1, or HTTP 429 with Retry-After) is rate_limited', async () => {
    fake.failWith({ status: '1' });
    await refused(
      vonage(fake).send(USER_NUMBER, TEXT),
      'rate_limited',
      `${CANNOT_SEND_TEXTS}; try again in 10 seconds.`,
      10,
    );
    fake.failWith({ httpStatus: 429, retryAfter: '3' });
    await refused(
      vonage(fake).send(USER_NUMBER, TEXT),
      'rate_limited',
      `${CANNOT_SEND_TEXTS}; try again in 3 seconds.`,
      3,
    );
    fake.recover();
  });

  test('wrong credentials (status 4) are service_unavailable, logged with the status', async () => {
    await refused(
      vonage(fake, { VONAGE_API_SECRET: 'not-the-secret' }).send(USER_NUMBER, TEXT),
      'service_unavailable',
      CANNOT_SEND_TEXTS,
    );
    assert.equal(lastLog().providerCode, '4');
  });

  test('no credit (9), an internal error (5) and an HTTP 500 are service_unavailable', async () => {
    for (const failure of [{ status: '9' }, { status: '5' }, { httpStatus: 500 }]) {
      fake.failWith(failure);
      await refused(vonage(fake).send(USER_NUMBER, TEXT), 'service_unavailable', CANNOT_SEND_TEXTS);
    }
    fake.recover();
  });
});

describe('a provider that does not answer', () => {
  test('a hanging provider is service_unavailable once SMS_TIMEOUT has passed', async () => {
    const fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    try {
      fake.hang();
      const started = performance.now();
      await refused(
        twilio(fake, { SMS_TIMEOUT: '300ms' }).send(USER_NUMBER, TEXT),
        'service_unavailable',
        CANNOT_SEND_TEXTS,
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3000, `gave up after ${Math.round(elapsed)} ms`);
      assert.equal(lastLog().reason, 'timeout');
      assert.equal(fake.requests.length, 1);
    } finally {
      await fake.stop();
    }
  });

  test('a dropped connection and a closed port are service_unavailable', async () => {
    const fake = await startFakeVonage({ apiKey: API_KEY, apiSecret: API_SECRET });
    const sender = vonage(fake);
    fake.resetConnections();
    await refused(sender.send(USER_NUMBER, TEXT), 'service_unavailable', CANNOT_SEND_TEXTS);
    await fake.stop();
    await refused(sender.send(USER_NUMBER, TEXT), 'service_unavailable', CANNOT_SEND_TEXTS);
    assert.equal(lastLog().reason, 'ECONNREFUSED');
  });
});

describe('before any request', () => {
  test('an invalid or untextable number is refused without calling the provider', async () => {
    const twilioFake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const vonageFake = await startFakeVonage({ apiKey: API_KEY, apiSecret: API_SECRET });
    try {
      for (const sender of [twilio(twilioFake), vonage(vonageFake)]) {
        await refused(sender.send('12345', TEXT), 'invalid_request', NOT_A_PHONE_NUMBER);
        await refused(sender.send('(415) 555-0123', TEXT), 'invalid_request', NOT_A_PHONE_NUMBER);
        await refused(sender.send('+1 900 555 0123', TEXT), 'invalid_request', CANNOT_RECEIVE_TEXTS);
      }
      assert.equal(twilioFake.requests.length, 0);
      assert.equal(vonageFake.requests.length, 0);
    } finally {
      await Promise.all([twilioFake.stop(), vonageFake.stop()]);
    }
  });

  test('without MFA_SMS_PROVIDER there is no sender', () => {
    assert.equal(createSmsSender(loadConfig({}).sms, logger), null);
  });
});

test('no log line or error holds a credential, the text or the number', () => {
  assert.ok(logLines.length >= 10 && raised.length >= 20, 'the tests above logged and raised');
  const said = [...logLines, ...raised.map((error) => `${String(error)} ${JSON.stringify(error)}`)].join(
    '\n',
  );
  for (const secret of [AUTH_TOKEN, API_SECRET, TEXT, TEXT.slice(-6), USER_NUMBER, USER_NUMBER.slice(1)]) {
    assert.ok(!said.includes(secret), `${secret} was logged or raised`);
  }
});
