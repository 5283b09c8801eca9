// Email verification end to end: a real SMTP server process receives the mail, the test follows the link.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { linkIn, smtpEnv, startSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.js';

describe('email verification over real SMTP', () => {
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

  test('the verification link sent at registration confirms the address once, and only once', async () => {
    const email = uniqueEmail('verify');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name: 'Vera' });
    assert.equal(registered.status, 201);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /verify/i.test(m.subject));
    const link = linkIn(mail, '/v2/auth/verify-email');
    assert.equal(link.origin, t.base, 'links are built from BASE_URL');

    const first = await fetch(link, { headers: { accept: 'application/json' } });
    assert.equal(first.status, 200);
    const me = await t.get('/v2/me', { authorization: `Bearer ${registered.body.access_token as string}` });
    assert.equal(me.body.email_verified, true);

    const second = await fetch(link, { headers: { accept: 'application/json' } });
    assert.equal(second.status, 400);
    assert.equal(((await second.json()) as { error: string }).error, 'invalid_grant');

    // A person clicking the link gets a page, not JSON.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  });

  test('resending verification with a bearer token sends a fresh link; the older one stops working', async () => {
    const email = uniqueEmail('resend');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    const firstMail = await smtp.waitFor((m) => m.to.includes(email));
    const resend = await t.post(
      '/v2/auth/verify-email/send',
      {},
      { authorization: `Bearer ${registered.body.access_token as string}` },
    );
    assert.equal(resend.status, 202);
    const secondMail = await smtp.waitFor(
      (m) => m.to.includes(email) && m !== firstMail && m.text !== firstMail.text,
    );
    const old = await fetch(linkIn(firstMail, '/v2/auth/verify-email'), {
      headers: { accept: 'application/json' },
    });
    assert.equal(old.status, 400);
    const fresh = await fetch(linkIn(secondMail, '/v2/auth/verify-email'), {
      headers: { accept: 'application/json' },
    });
    assert.equal(fresh.status, 200);
  });
});
