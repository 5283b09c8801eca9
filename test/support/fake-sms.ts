// Local stand-ins for the two SMS providers, speaking their documented HTTP APIs on a random port of
// 127.0.0.1: Twilio's Messages resource (POST /2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic
// auth, form body, 201 with the Message or an error {code, message, more_info, status}) and Vonage's SMS
// API (POST /sms/json, credentials in the form, 200 with a per-part `status`). Both check credentials and
// required fields as the providers do, record every request and every accepted message (so a test can
// read the code that was texted), and can be told to answer with a given error, to hang, to reset the
// connection, or to stop listening.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedSmsRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received. */
  rawBody: string;
  /** The body parsed as a form (empty unless the content type was a form). */
  form: Record<string, string>;
}

export interface ReceivedSms {
  /** E.164, with the plus (Vonage's `to` is stored with the plus put back). */
  to: string;
  from: string | undefined;
  body: string;
  messageId: string;
}

/** A Twilio error answer: the HTTP status and Twilio's error code, or a non-JSON body (a proxy's 502 page). */
export interface TwilioFailure {
  status: number;
  code?: number;
  retryAfter?: string;
  rawBody?: string;
}

/** A Vonage error answer: a refusal with a status in a 200, or an HTTP error. */
export type VonageFailure =
  { status: string } | { httpStatus: number; retryAfter?: string; rawBody?: string };

export interface FakeSmsProvider<Failure> {
  baseUrl: string;
  requests: RecordedSmsRequest[];
  messages: ReceivedSms[];
  /** The last message accepted for `to` (E.164). */
  lastMessageTo(to: string): ReceivedSms | undefined;
  /** Every later request is answered with `failure` (after the usual checks) until `recover()`. */
  failWith(failure: Failure): void;
  /** Every later request is read and never answered, until `recover()`. */
  hang(): void;
  /** Every later request has its connection dropped without an answer, until `recover()`. */
  resetConnections(): void;
  recover(): void;
  /** Stops listening: later requests find the port closed. */
  stop(): Promise<void>;
}

type Mode<Failure> =
  { kind: 'answer' } | { kind: 'fail'; failure: Failure } | { kind: 'hang' } | { kind: 'reset' };

interface Exchange<Failure> {
  request: RecordedSmsRequest;
  mode: Mode<Failure>;
  accept: (message: Omit<ReceivedSms, 'messageId'>, messageId: string) => void;
  send: (status: number, body: unknown, headers?: Record<string, string>) => void;
}

async function startFake<Failure>(
  handle: (exchange: Exchange<Failure>) => void,
): Promise<FakeSmsProvider<Failure>> {
  const requests: RecordedSmsRequest[] = [];
  const messages: ReceivedSms[] = [];
  let mode: Mode<Failure> = { kind: 'answer' };
  const server = createServer((request, response) => {
    void readBody(request).then((rawBody) => {
      const recorded: RecordedSmsRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        rawBody,
        form: isForm(request) ? Object.fromEntries(new URLSearchParams(rawBody)) : {},
      };
      requests.push(recorded);
      if (mode.kind === 'hang') return;
      if (mode.kind === 'reset') {
        request.socket.destroy();
        return;
      }
      handle({
        request: recorded,
        mode,
        accept: (message, messageId) => messages.push({ ...message, messageId }),
        send: (status, body, headers) => respond(response, status, body, headers),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    messages,
    lastMessageTo: (to) => messages.findLast((message) => message.to === to),
    failWith: (failure) => (mode = { kind: 'fail', failure }),
    hang: () => (mode = { kind: 'hang' }),
    resetConnections: () => (mode = { kind: 'reset' }),
    recover: () => (mode = { kind: 'answer' }),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}

/** Twilio's Messages API for one account. */
export function startFakeTwilio(account: { accountSid: string; authToken: string }) {
  return startFake<TwilioFailure>(({ request, mode, accept, send }) => {
    const error = (status: number, code: number, message: string, headers?: Record<string, string>) =>
      send(
        status,
        { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
        headers,
      );
    const path = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(request.path);
    if (!path) return error(404, 20404, 'The requested resource was not found');
    if (request.method !== 'POST') return error(405, 20004, 'Method not allowed');
    const [user, password] = basicCredentials(request.headers.authorization);
    if (user !== account.accountSid || password !== account.authToken || path[1] !== account.accountSid) {
      return error(401, 20003, 'Authenticate');
    }
    const { To: to, From: from, MessagingServiceSid: serviceSid, Body: body } = request.form;
    if (!to) return error(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{1,14}$/.test(to))
      return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !serviceSid) return error(400, 21603, "A 'From' phone number is required.");
    if (!body) return error(400, 21602, 'Message body is required.');
    if (body.length > 1600)
      return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (mode.kind === 'fail') {
      const { status, code, retryAfter, rawBody } = mode.failure;
      const headers = retryAfter === undefined ? undefined : { 'retry-after': retryAfter };
      if (rawBody !== undefined) return send(status, rawBody, headers);
      return error(status, code ?? status, `Error ${code ?? status}`, headers);
    }
    const sid = `SM${randomBytes(16).toString('hex')}`;
    accept({ to, from, body }, sid);
    send(201, {
      sid,
      account_sid: account.accountSid,
      to,
      from: from ?? null,
      messaging_service_sid: serviceSid ?? null,
      body,
      status: serviceSid ? 'accepted' : 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: new Date().toUTCString(),
      error_code: null,
      error_message: null,
      uri: `/2010-04-01/Accounts/${account.accountSid}/Messages/${sid}.json`,
    });
  });
}

/** Vonage's SMS API for one API key. */
export function startFakeVonage(account: { apiKey: string; apiSecret: string }) {
  return startFake<VonageFailure>(({ request, mode, accept, send }) => {
    const refuse = (status: string, errorText: string) =>
      send(200, { 'message-count': '1', messages: [{ status, 'error-text': errorText }] });
    if (request.path !== '/sms/json') return send(404, 'Not Found');
    if (request.method !== 'POST') return send(405, 'Method Not Allowed');
    const { api_key: apiKey, api_secret: apiSecret, from, to, text } = request.form;
    for (const [name, value] of Object.entries({ api_key: apiKey, api_secret: apiSecret, from, to, text })) {
      if (!value) return refuse('2', `Missing ${name}`);
    }
    if (apiKey !== account.apiKey || apiSecret !== account.apiSecret) return refuse('4', 'Bad Credentials');
    if (!/^[1-9]\d{6,14}$/.test(to!)) return refuse('3', 'Invalid to address');
    if (mode.kind === 'fail') {
      const failure = mode.failure;
      if ('status' in failure) return refuse(failure.status, `Error ${failure.status}`);
      const headers = failure.retryAfter === undefined ? undefined : { 'retry-after': failure.retryAfter };
      return send(failure.httpStatus, failure.rawBody ?? { error: failure.httpStatus }, headers);
    }
    const messageId = randomBytes(8).toString('hex').toUpperCase();
    accept({ to: `+${to}`, from, body: text! }, messageId);
    send(200, {
      'message-count': '1',
      messages: [
        {
          to,
          'message-id': messageId,
          status: '0',
          'remaining-balance': '15.53590000',
          'message-price': '0.03330000',
          network: '23410',
        },
      ],
    });
  });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

const isForm = (request: IncomingMessage) =>
  request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() ===
  'application/x-www-form-urlencoded';

function basicCredentials(header: string | undefined): [string | undefined, string | undefined] {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? '')?.[1];
  if (!encoded) return [undefined, undefined];
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? [undefined, undefined] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function respond(response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/html' : 'application/json',
    ...headers,
  });
  response.end(text);
}

// --- the application's side ----------------------------------------------------------------------------

/** Accounts for the fakes, random per test process (the fakes refuse any other credentials). */
export const TEST_TWILIO = {
  accountSid: `AC${randomBytes(16).toString('hex')}`,
  authToken: randomBytes(16).toString('hex'),
};
export const TEST_VONAGE = {
  apiKey: randomBytes(4).toString('hex'),
  apiSecret: randomBytes(12).toString('hex'),
};

/** The server settings that text through this fake Twilio (the provider's base URL is configuration). */
export const twilioEnv = (fake: FakeSmsProvider<unknown>) => ({
  MFA_SMS_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: TEST_TWILIO.accountSid,
  TWILIO_AUTH_TOKEN: TEST_TWILIO.authToken,
  TWILIO_FROM: '+15005550006',
  TWILIO_BASE_URL: fake.baseUrl,
  SMS_TIMEOUT: '1s',
});

/** The server settings that text through this fake Vonage. */
export const vonageEnv = (fake: FakeSmsProvider<unknown>) => ({
  MFA_SMS_PROVIDER: 'vonage',
  VONAGE_API_KEY: TEST_VONAGE.apiKey,
  VONAGE_API_SECRET: TEST_VONAGE.apiSecret,
  VONAGE_FROM: 'HelloJohn',
  VONAGE_BASE_URL: fake.baseUrl,
  SMS_TIMEOUT: '1s',
});

/** The one-time code a text carries (it opens the message). */
export function codeInSms(sms: ReceivedSms | undefined): string {
  const code = /^(\d{6,10}) /.exec(sms?.body ?? '')?.[1];
  assert.ok(code, 'the text carries a code');
  return code;
}
