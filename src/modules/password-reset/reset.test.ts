// Password reset end to end: a real SMTP server process receives the mail, the test follows the link in it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { urlFor } from '../../../test/support/db.js';
import { ADMIN_URL, unlessAvailable } from '../../../test/support/env.js';
import { linkIn, smtpEnv, startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';

describe('password reset over real SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp(smtpEnv(smtp));
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  test('the reset link sets a new password once, revokes sessions, and the old password stops working', async () => {
    const email = uniqueEmail('reset');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    const forgot = await t.post('/v2/auth/forgot', { email: email.toUpperCase() });
    assert.equal(forgot.status, 202);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    const token = linkIn(mail, '/reset-password').searchParams.get('token')!;

    const weak = await t.post('/v2/auth/reset-password', { token, password: 'password' });
    assert.equal(weak.status, 400, 'a weak password is refused');
    assert.equal(weak.body.error, 'weak_password');

    const newPassword = 'Another-Strong-Passphrase-7';
    const reset = await t.post('/v2/auth/reset-password', { token, password: newPassword });
    assert.equal(reset.status, 200, 'a refused weak password does not burn the link');
    const again = await t.post('/v2/auth/reset-password', { token, password: 'Yet-Another-Passphrase-8' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');

    assert.equal(
      (await t.post('/v2/auth/refresh', { refresh_token: registered.body.refresh_token })).status,
      400,
    );
    assert.equal((await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 401);
    assert.equal((await t.post('/v2/auth/login', { email, password: newPassword })).status, 200);
  });

  test(
    'forgot and verify-email/send answer before the account is looked up (a locked users table holds nothing)',
    { skip: unlessAvailable({ postgres: true }) },
    async () => {
      const email = uniqueEmail('answer-first');
      assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
      // While this lock is held, any statement that reads users waits: an answer that depended on the
      // account (and so could differ in timing between accounts that exist and ones that do not) would too.
      const locker = new pg.Client({ connectionString: urlFor(ADMIN_URL!, t.testDb.name!) });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        for (const [path, body] of [
          ['/v2/auth/forgot', { email }],
          ['/v2/auth/forgot', { email: uniqueEmail('nobody') }],
          ['/v2/auth/verify-email/send', { email }],
        ] as const) {
          const response = await fetch(`${t.base}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(3000),
          });
          assert.equal(response.status, 202, path);
          await response.arrayBuffer();
        }
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      // The work after the answer goes on once the table is free: the reset link arrives.
      await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    },
  );

  test('a password reset lifts the lock that guessing put on the account', async () => {
    const email = uniqueEmail('locked');
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
    let status = 0;
    for (let i = 0; i < 20 && status !== 429; i++) {
      status = (await t.post('/v2/auth/login', { email, password: 'Wrong-Guess-Number-' + i })).status;
    }
    assert.equal(status, 429, 'the guesses locked the account');
    assert.equal((await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 429);

    assert.equal((await t.post('/v2/auth/forgot', { email })).status, 202);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    const token = linkIn(mail, '/reset-password').searchParams.get('token')!;
    const newPassword = 'Owner-Proved-The-Mailbox-9';
    assert.equal((await t.post('/v2/auth/reset-password', { token, password: newPassword })).status, 200);
    const login = await t.post('/v2/auth/login', { email, password: newPassword });
    assert.equal(login.status, 200, JSON.stringify(login.body));
  });

  test('the reset link opens a form that works without JavaScript', async () => {
    const email = uniqueEmail('page');
    await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    await t.post('/v2/auth/forgot', { email });
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    const link = linkIn(mail, '/reset-password');
    const page = await fetch(link);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<form method="post" action="\/reset-password">/);
    assert.match(html, /name="password"/);
    const token = link.searchParams.get('token')!;
    assert.ok(html.includes(`value="${token}"`), 'the token rides in the form');
    const csrfToken = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cookie = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');

    const post = (password: string, confirm: string, csrf = csrfToken) =>
      fetch(link.origin + link.pathname, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ token, password, confirm, csrf_token: csrf }).toString(),
      });
    const forged = await post('Another-Strong-Passphrase-7', 'Another-Strong-Passphrase-7', 'forged');
    assert.equal(forged.status, 403, 'a form post without the CSRF token of this browser is refused');
    const mismatch = await post('Another-Strong-Passphrase-7', 'something else');
    assert.equal(mismatch.status, 400);
    assert.match(await mismatch.text(), /do not match/);
    const done = await post('Another-Strong-Passphrase-7', 'Another-Strong-Passphrase-7');
    assert.equal(done.status, 200);
    assert.match(await done.text(), /Password changed/);
    assert.equal(
      (await t.post('/v2/auth/login', { email, password: 'Another-Strong-Passphrase-7' })).status,
      200,
    );
  });

  test('no mail carries the name the requester chose: greetings are neutral', async () => {
    const email = uniqueEmail('free-text');
    const name = 'Hi there. SECURITY ALERT call +1 555 0100 or visit https://evil.example/login';
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name });
    assert.equal(registered.status, 201);
    assert.equal((registered.body.user as { name: string }).name, name, 'the profile keeps the name');
    const verify = await smtp.waitFor((m) => m.to.includes(email) && /verify/i.test(m.subject));
    assert.equal((await t.post('/v2/auth/forgot', { email })).status, 202);
    const reset = await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    for (const mail of [verify, reset]) {
      for (const part of ['SECURITY', '555', 'evil.example', 'Hi there']) {
        for (const [where, text] of Object.entries({
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        })) {
          assert.ok(
            !text.includes(part),
            `${mail.subject}: the ${where} must not contain ${JSON.stringify(part)}`,
          );
        }
      }
      assert.ok(mail.text.startsWith('Hello,\n'), `a neutral greeting: ${mail.text.slice(0, 40)}`);
    }
  });

  test('forgot is 202 for unknown addresses too, and sends nothing', async () => {
    const unknown = uniqueEmail('nobody');
    const response = await t.post('/v2/auth/forgot', { email: unknown });
    assert.equal(response.status, 202);
    const known = uniqueEmail('known');
    await t.post('/v2/auth/register', { email: known, password: STRONG_PASSWORD });
    const knownResponse = await t.post('/v2/auth/forgot', { email: known });
    assert.equal(knownResponse.status, 202);
    assert.deepEqual({ ...knownResponse.body }, { ...response.body });
    await smtp.waitFor((m) => m.to.includes(known) && /reset/i.test(m.subject));
    await t.app.services.outbox.drain();
    assert.equal(smtp.messages().filter((m) => m.to.includes(unknown)).length, 0);
  });
});

test('reset links expire', async () => {
  const smtp = await startSmtpServer();
  const t = await startTestApp({ ...smtpEnv(smtp), RESET_PASSWORD_TTL: '1s' });
  try {
    const email = uniqueEmail('expire');
    await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    await t.post('/v2/auth/forgot', { email });
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /reset/i.test(m.subject));
    const token = linkIn(mail, '/reset-password').searchParams.get('token')!;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = await t.post('/v2/auth/reset-password', { token, password: 'Another-Strong-Passphrase-7' });
    assert.equal(late.status, 400);
    assert.equal(late.body.error, 'invalid_grant');
  } finally {
    await t.close();
    await smtp.stop();
  }
});
