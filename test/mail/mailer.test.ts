// Mail: SmtpMailer against a real SMTP server process, the background outbox, templates, createMailer.
// Every assert.ok has a message: without one, a failing assert.ok under tsx re-reads and parses the source to
// build its message, which can take minutes (privatenumber/tsx#548) and looks like a hang.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/log.js';
import {
  DisabledMailer,
  LogMailer,
  SmtpMailer,
  createMailer,
  type EmailMessage,
  type Mailer,
  type SmtpConfig,
} from '../../src/mail/mailer.js';
import { loadConfig } from '../../src/config.js';
import { MailOutbox } from '../../src/mail/outbox.js';
import { passwordResetEmail, verificationEmail } from '../../src/mail/templates.js';
import { startServerProcess, type ServerProcess } from '../support/cli.js';
import { createTestDatabase } from '../support/db.js';
import { unlessAvailable } from '../support/env.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

/** A pino logger writing into memory, as the server's would (same redaction and format). */
function captureLogs() {
  const chunks: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void chunks.push(line) });
  return {
    logger,
    raw: () => chunks.join(''),
    lines: () => chunks.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const smtpConfig = (port: number): SmtpConfig => ({
  host: '127.0.0.1',
  port,
  secure: false,
  user: 'mailer',
  password: 'mailer-password',
  from: 'Ωmega Corp <no-reply@example.test>',
});

const TOKEN = 'tok_3b9f0c1d7e2a4f60b8c5d1e9a7f3c2b1';
const LINK = `https://id.example.test/verify-email?token=${TOKEN}&tenant=acme`;

function message(to: string, overrides: Partial<EmailMessage> = {}): EmailMessage {
  const rendered = verificationEmail({
    tenantName: 'Ωmega Corp',
    link: LINK,
    expiresInMinutes: 48 * 60,
  });
  return { to, kind: 'verify_email', tenant: null, ...rendered, ...overrides };
}

/** A mailer whose sends wait until `open()` is called. */
function gatedMailer() {
  const sent: EmailMessage[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const mailer: Mailer = {
    async send(m) {
      await gate;
      sent.push(m);
    },
  };
  return { mailer, sent, open };
}

const settledWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);

describe('SmtpMailer through a real SMTP server', () => {
  let server: TestSmtpServer;
  before(async () => {
    server = await startSmtpServer();
  });
  after(async () => {
    await server.stop();
  });

  test('delivers subject, recipient, text and HTML intact, UTF-8 included', async () => {
    const mailer = new SmtpMailer(smtpConfig(server.port));
    const sent = message('zoe@example.test', { subject: 'Bienvenue, Zoë Ωmega — ✓' });
    await mailer.send(sent);
    const received = await server.waitFor((m) => m.to.includes('zoe@example.test'));
    assert.deepEqual(received.to, ['zoe@example.test']);
    assert.equal(received.headerTo, 'zoe@example.test');
    assert.equal(received.from, 'no-reply@example.test');
    assert.equal(received.fromName, 'Ωmega Corp');
    assert.equal(received.authUser, 'mailer');
    assert.equal(received.subject, 'Bienvenue, Zoë Ωmega — ✓');
    assert.equal(received.text.trimEnd(), sent.text.trimEnd());
    assert.equal(received.html.trimEnd(), sent.html.trimEnd());
    assert.match(received.text, /your Ωmega Corp account/);
    assert.ok(received.text.includes(LINK), 'the text part carries the link');
    mailer.close();
  });

  test('refuses a recipient that is not one bare address, without naming it', async () => {
    const mailer = new SmtpMailer(smtpConfig(server.port));
    for (const to of [
      'a@example.test, b@example.test',
      'Eve <eve@example.test>',
      'x@example.test\r\nBcc: y@z',
    ]) {
      await assert.rejects(mailer.send(message(to)), (error: Error) => {
        assert.equal(error.message, 'invalid recipient address');
        return true;
      });
    }
    assert.equal(
      server
        .messages()
        .filter((m) => m.to.some((to) => to.includes('example.test') && to !== 'zoe@example.test')).length,
      0,
    );
  });
});

describe('MailOutbox', () => {
  test('enqueue returns before delivery; drain waits for it', async () => {
    const server = await startSmtpServer();
    try {
      const smtp = new SmtpMailer(smtpConfig(server.port));
      let started = 0;
      let delivered = 0;
      const spy: Mailer = {
        async send(m) {
          started++;
          await smtp.send(m);
          delivered++;
        },
      };
      const { logger, lines } = captureLogs();
      const outbox = new MailOutbox(spy, logger);
      outbox.enqueue(message('first@example.test'));
      // Nothing has been attempted yet: the caller's code runs on before any network work starts.
      assert.equal(started, 0);
      assert.equal(delivered, 0);
      assert.equal(outbox.size, 1);
      await outbox.drain();
      assert.equal(delivered, 1);
      assert.equal(outbox.size, 0);
      const received = await server.waitFor((m) => m.to.includes('first@example.test'));
      assert.ok(received.text.includes(LINK), 'the text part carries the link');
      assert.ok(
        lines().some((l) => l.msg === 'email sent' && l.kind === 'verify_email'),
        'success is logged at debug with the kind',
      );
      smtp.close();
    } finally {
      await server.stop();
    }
  });

  test('drain does not resolve while a send is still in progress', async () => {
    const { mailer, sent, open } = gatedMailer();
    const outbox = new MailOutbox(mailer, captureLogs().logger);
    const startedAt = performance.now();
    outbox.enqueue(message('slow@example.test'));
    assert.ok(performance.now() - startedAt < 50, 'enqueue must not wait for the mailer');
    const drained = outbox.drain();
    assert.equal(await settledWithin(drained, 100), false);
    open();
    assert.equal(await settledWithin(drained, 1000), true);
    assert.equal(sent.length, 1);
  });

  test('enqueueFrom prepares after the caller has moved on; drain waits for preparing and sending', async () => {
    const { mailer, sent, open } = gatedMailer();
    const logs = captureLogs();
    const outbox = new MailOutbox(mailer, logs.logger, { maxQueue: 3 });
    let releasePrepare!: () => void;
    const prepareGate = new Promise<void>((resolve) => (releasePrepare = resolve));
    let prepared = 0;
    outbox.enqueueFrom('reset_password', async () => {
      prepared++;
      await prepareGate;
      return message('prepared@example.test', { kind: 'reset_password' });
    });
    assert.equal(prepared, 0, 'nothing of the preparation runs inside the caller');
    outbox.enqueueFrom('reset_password', async () => null); // no such account: nothing to send
    outbox.enqueueFrom('verify_email', async () => {
      throw new Error('database went away');
    });
    assert.equal(outbox.size, 3, 'preparations count against the queue bound');
    outbox.enqueueFrom('verify_email', async () => message('over@example.test'));
    assert.equal(logs.lines().filter((l) => l.msg === 'email dropped: outbox is full').length, 1);

    const drained = outbox.drain();
    assert.equal(await settledWithin(drained, 100), false, 'still preparing');
    releasePrepare();
    assert.equal(await settledWithin(drained, 100), false, 'prepared, still sending');
    open();
    assert.equal(await settledWithin(drained, 1000), true);
    assert.deepEqual(
      sent.map((m) => m.to),
      ['prepared@example.test'],
    );
    const failed = logs.lines().filter((l) => l.msg === 'email not prepared');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.kind, 'verify_email');
    assert.equal(failed[0]!.error, 'database went away');
    assert.equal(outbox.size, 0);
  });

  test('drops messages beyond the queue bound and logs only the kind', async () => {
    const { mailer, sent, open } = gatedMailer();
    const logs = captureLogs();
    const outbox = new MailOutbox(mailer, logs.logger, { maxQueue: 2 });
    outbox.enqueue(message('one@example.test'));
    outbox.enqueue(message('two@example.test'));
    outbox.enqueue(message('three@example.test', { kind: 'reset_password' }));
    assert.equal(outbox.size, 2);
    const dropped = logs.lines().filter((l) => l.msg === 'email dropped: outbox is full');
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]!.kind, 'reset_password');
    assert.ok(
      !logs.raw().includes('three@example.test'),
      'a dropped message is logged without its recipient',
    );
    open();
    await outbox.drain();
    assert.deepEqual(
      sent.map((m) => m.to),
      ['one@example.test', 'two@example.test'],
    );
  });

  test('retries after temporary 451 failures, then delivers', async () => {
    const server = await startSmtpServer({ rejectFirst: 2 });
    try {
      const smtp = new SmtpMailer(smtpConfig(server.port));
      const logs = captureLogs();
      const outbox = new MailOutbox(smtp, logs.logger, { retryDelaysMs: [20, 40] });
      outbox.enqueue(message('retry@example.test'));
      await outbox.drain();
      const received = await server.waitFor((m) => m.to.includes('retry@example.test'));
      assert.ok(received.text.includes(LINK), 'the text part carries the link');
      assert.equal(server.rejectedCount(), 2);
      const retries = logs.lines().filter((l) => l.msg === 'email delivery failed, will retry');
      assert.deepEqual(
        retries.map((l) => [l.kind, l.attempt, l.response_code]),
        [
          ['verify_email', 1, 451],
          ['verify_email', 2, 451],
        ],
      );
      assert.equal(logs.lines().filter((l) => l.msg === 'email not delivered: giving up').length, 0);
      assert.ok(
        logs.lines().some((l) => l.msg === 'email sent' && l.attempts === 3),
        'the third attempt succeeded',
      );
      smtp.close();
    } finally {
      await server.stop();
    }
  });

  test('gives up after three attempts and logs without the body, link or token', async () => {
    const server = await startSmtpServer({ rejectFirst: 100 });
    try {
      const smtp = new SmtpMailer(smtpConfig(server.port));
      const logs = captureLogs();
      const outbox = new MailOutbox(smtp, logs.logger, { retryDelaysMs: [10, 20] });
      const sent = message('lost@example.test');
      outbox.enqueue(sent);
      await outbox.drain();
      await server.waitForRejected(3);
      assert.equal(server.rejectedCount(), 3);
      assert.equal(server.messages().length, 0);
      const gaveUp = logs.lines().filter((l) => l.msg === 'email not delivered: giving up');
      assert.equal(gaveUp.length, 1);
      assert.equal(gaveUp[0]!.kind, 'verify_email');
      assert.equal(gaveUp[0]!.attempts, 3);
      assert.equal(gaveUp[0]!.response_code, 451);
      assert.match(String(gaveUp[0]!.error), /451/);
      const raw = logs.raw();
      for (const secret of [TOKEN, LINK, sent.subject, 'Zoë', 'Please confirm', 'lost@example.test']) {
        assert.ok(!raw.includes(secret), `the log must not contain ${JSON.stringify(secret)}`);
      }
      smtp.close();
    } finally {
      await server.stop();
    }
  });

  test('a mailer that throws synchronously is retried and given up, not crashing the caller', async () => {
    const logs = captureLogs();
    let calls = 0;
    const broken = {
      send(): Promise<void> {
        calls++;
        throw new Error('boom');
      },
    };
    const outbox = new MailOutbox(broken, logs.logger, { retryDelaysMs: [1, 1] });
    outbox.enqueue(message('x@example.test'));
    await outbox.drain();
    assert.equal(calls, 3);
    assert.equal(logs.lines().filter((l) => l.msg === 'email not delivered: giving up').length, 1);
  });
});

describe('templates', () => {
  const hostile = {
    tenantName: `<script>alert("x")</script> O'Brien Acme" onmouseover="alert(1)`,
    link: 'https://id.example.test/reset-password?token=abc123&tenant=acme',
    expiresInMinutes: 60,
  };
  const allowedTags = new Set(['!DOCTYPE', 'html', 'head', 'meta', 'title', 'body', 'div', 'p', 'a']);

  for (const [name, render] of [
    ['verificationEmail', verificationEmail],
    ['passwordResetEmail', passwordResetEmail],
  ] as const) {
    test(`${name} escapes the tenant name in the HTML part`, () => {
      const { html } = render(hostile);
      assert.ok(!html.includes('<script'), 'no raw <script> tag');
      assert.ok(
        html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien'),
        'the tenant name is escaped in text',
      );
      assert.ok(!html.includes('" onmouseover="'), 'no attribute breaks out of its quotes');
      assert.ok(
        html.includes('Acme&quot; onmouseover=&quot;alert(1)'),
        'the tenant name is escaped inside attributes',
      );
      for (const [, tag] of html.matchAll(/<\/?([!A-Za-z][A-Za-z0-9]*)/g)) {
        assert.ok(allowedTags.has(tag!), `unexpected tag <${tag}>`);
      }
      for (const [, attribute] of html.matchAll(/\s([a-z-]+)="/g)) {
        assert.ok(
          ['lang', 'charset', 'name', 'content', 'style', 'role', 'aria-label', 'href'].includes(attribute!),
          `unexpected attribute ${attribute}`,
        );
      }
    });

    test(`${name} puts the link in both parts, with who it is for and the expiry`, () => {
      const { subject, text, html } = render({
        tenantName: 'Acme',
        link: hostile.link,
        expiresInMinutes: 48 * 60,
      });
      assert.match(subject, /Acme/);
      assert.ok(text.includes(hostile.link), 'the text part carries the link');
      assert.ok(text.startsWith('Hello,\n'), 'a neutral greeting: no text the requester chose');
      assert.ok(text.includes('48 hours'), 'the text part states the expiry');
      assert.match(text, /ignore this email/);
      const escapedLink = hostile.link.replace('&', '&amp;');
      assert.equal(html.split(`href="${escapedLink}"`).length - 1, 2, 'button and fallback link');
      assert.ok(html.includes(`>${escapedLink}</a>`), 'the raw link is shown as text');
      assert.ok(html.includes('48 hours'), 'the HTML part states the expiry');
      assert.ok(!/https?:\/\/(?!id\.example\.test)/.test(html), 'no external assets');
    });

    test(`${name} states short expiries in minutes and refuses a non-http link`, () => {
      const { text } = render({
        tenantName: 'Acme',
        link: hostile.link,
        expiresInMinutes: 30,
      });
      assert.ok(text.includes('30 minutes'), 'short expiries are in minutes');
      assert.throws(() => render({ ...hostile, link: 'javascript:alert(1)' }), TypeError);
    });
  }

  test('tenant names cannot add lines to the subject or the text', () => {
    const { subject, text } = verificationEmail({
      tenantName: 'Acme\r\nBcc: eve@example.test',
      link: hostile.link,
      expiresInMinutes: 90,
    });
    assert.ok(!/[\r\n]/.test(subject), 'the subject is one line');
    assert.ok(text.includes('— Acme Bcc: eve@example.test'), 'line breaks in names become spaces');
    assert.ok(text.includes('1 hour 30 minutes'), 'mixed hours and minutes');
  });
});

describe('createMailer, with the configuration read from the environment', () => {
  const DB = { DATABASE_URL: 'postgres://hellojohn@db.internal/hellojohn' };
  const SMTP = { SMTP_HOST: '127.0.0.1', SMTP_PORT: '2525', SMTP_FROM: 'no-reply@example.test' };
  const mailerFor = (env: Record<string, string>, logger = captureLogs().logger) =>
    createMailer(loadConfig({ DATA_DIR: '/tmp/hj-mailer-test', ...env }), logger);

  test('uses SMTP whenever it is configured', () => {
    const keys = { SIGNING_MASTER_KEY: 'a'.repeat(64), SECRETBOX_MASTER_KEY: `${'A'.repeat(43)}=` };
    assert.ok(mailerFor({ APP_ENV: 'prod', ...DB, ...keys, ...SMTP }) instanceof SmtpMailer, 'SMTP in prod');
    assert.ok(mailerFor({ APP_ENV: 'dev', ...SMTP }) instanceof SmtpMailer, 'SMTP in dev');
    assert.ok(mailerFor({ ...SMTP }) instanceof SmtpMailer, 'SMTP without APP_ENV');
  });

  test('development without SMTP logs the whole message so the link can be followed', async () => {
    // APP_ENV=dev said explicitly, or nothing said on the embedded database (npm run dev out of the box).
    const envs: Record<string, string>[] = [{ APP_ENV: 'dev' }, { APP_ENV: 'dev', ...DB }, {}];
    for (const env of envs) {
      const logs = captureLogs();
      const mailer = mailerFor(env, logs.logger);
      assert.ok(mailer instanceof LogMailer, `a LogMailer with ${JSON.stringify(env)}`);
      const sent = message('dev@example.test');
      await mailer.send(sent);
      const [line] = logs.lines();
      assert.equal(line!.level, 30);
      assert.equal(line!.dev_email, true);
      assert.equal(line!.kind, 'verify_email');
      assert.equal(line!.to, 'dev@example.test');
      assert.equal(line!.subject, sent.subject);
      assert.ok(String(line!.text).includes(LINK), 'the logged text carries the link');
    }
  });

  const noDevLog: [string, Record<string, string>][] = [
    ['a real database without APP_ENV (forgotten)', DB],
    ['APP_ENV=staging', { APP_ENV: 'staging', ...DB }],
    ['APP_ENV=staging on the embedded database', { APP_ENV: 'staging' }],
  ];
  for (const [what, env] of noDevLog) {
    test(`${what} without SMTP: one startup warning, then each message dropped naming only its kind`, async () => {
      const logs = captureLogs();
      const mailer = mailerFor(env, logs.logger);
      assert.ok(mailer instanceof DisabledMailer, 'a DisabledMailer');
      const [startup] = logs.lines();
      assert.equal(startup!.level, 40);
      assert.match(String(startup!.msg), /SMTP is not configured.*cannot be sent/);
      const sent = message('user@example.test', { kind: 'reset_password' });
      await mailer.send(sent);
      const lines = logs.lines();
      assert.equal(lines.length, 2);
      assert.equal(lines[1]!.level, 40);
      assert.equal(lines[1]!.msg, 'email not sent: SMTP is not configured');
      assert.equal(lines[1]!.kind, 'reset_password');
      const raw = logs.raw();
      for (const secret of ['user@example.test', TOKEN, LINK, sent.subject]) {
        assert.ok(!raw.includes(secret), `the log must not contain ${JSON.stringify(secret)}`);
      }
    });
  }
});

test(
  'a server on PostgreSQL that forgot APP_ENV never logs a reset link, and forgot answers as before',
  { skip: unlessAvailable({ postgres: true }) },
  async () => {
    const db = await createTestDatabase();
    let server: ServerProcess | undefined;
    try {
      server = await startServerProcess({ ...db.env, ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' });
      const post = (path: string, body: unknown) =>
        fetch(`${server!.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const email = 'forgot-app-env@example.com';
      assert.equal(
        (await post('/v2/auth/register', { email, password: 'Correct-Horse-Battery-Staple-42' })).status,
        201,
      );
      assert.equal((await post('/v2/auth/forgot', { email })).status, 202);
      assert.equal((await post('/v2/auth/forgot', { email: 'nobody@example.com' })).status, 202);
      const deadline = Date.now() + 10_000;
      while (server.logs().split('email not sent').length < 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const logs = server.logs();
      assert.equal(logs.split('SMTP is not configured (SMTP_HOST)').length - 1, 1, 'one startup warning');
      assert.equal(logs.split('email not sent: SMTP is not configured').length - 1, 2, 'verify + reset');
      for (const secret of ['token=', 'reset-password', 'verify-email?', email, 'dev_email']) {
        assert.ok(!logs.includes(secret), `the log must not contain ${JSON.stringify(secret)}`);
      }
    } finally {
      await server?.stop();
      await db.drop();
    }
  },
);
