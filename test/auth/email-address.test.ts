// Email addresses: one normalised form (NFKC, lower case, UTS #46 domain) for storing, comparing, limiting
// and mailing; look-alike and invisible characters refused. The rule itself, then every path that takes an
// address: register, login (API, browser session), forgot, verify-email/send, the CLI, mail recipients.
// Every assert.ok has a message (see test/mail/mailer.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseEmailAddress } from '../../src/auth/email-address.js';
import { STRONG_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase } from '../support/db.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const KELVIN = '\u212A'; // KELVIN SIGN, drawn like K
const ZWJ = '\u200D';
const CYRILLIC_A = '\u0430';

describe('the email address rule', () => {
  const accepted: [string, string, string][] = [
    // typed, normalised, kept for display
    ['Kim.Smith+news@Example.COM', 'kim.smith+news@example.com', 'Kim.Smith+news@Example.COM'],
    [`${KELVIN}im@example.com`, 'kim@example.com', 'kim@example.com'],
    ['ｋｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ', 'kim@example.com', 'kim@example.com'],
    ['kim＠example.com', 'kim@example.com', 'kim@example.com'],
    ['  kim@example.com ', 'kim@example.com', 'kim@example.com'],
    ['иван@пример.рф', 'иван@пример.рф', 'иван@пример.рф'],
    ['αλέξης@example.gr', 'αλέξης@example.gr', 'αλέξης@example.gr'],
    ['रमेश@example.in', 'रमेश@example.in', 'रमेश@example.in'],
    ['山田taro@example.jp', '山田taro@example.jp', '山田taro@example.jp'],
    ['kim@BÜCHER.de', 'kim@bücher.de', 'kim@bücher.de'],
    ['kim@xn--bcher-kva.de', 'kim@bücher.de', 'kim@bücher.de'],
    ['e\u0301mile@example.com', 'émile@example.com', 'émile@example.com'],
  ];
  for (const [typed, normalized, display] of accepted) {
    test(`accepts ${JSON.stringify(typed)} as ${normalized}`, () => {
      assert.deepEqual(parseEmailAddress(typed), { ok: true, normalized, display });
    });
  }

  const refused: [string, string, RegExp][] = [
    ['a zero-width joiner', `ki${ZWJ}m@example.com`, /invisible/],
    ['a zero-width space', 'kim\u200B@example.com', /invisible/],
    ['a soft hyphen', 'ki\u00ADm@example.com', /invisible/],
    ['a Cyrillic а in a Latin name', `p${CYRILLIC_A}ypal@example.com`, /scripts/],
    ['a Greek ο in a Latin name', 'r\u03BFbert@example.com', /scripts/],
    ['an all-Cyrillic look-alike of a Latin word', '\u0440\u0430\u0443@example.com', /look like Latin/],
    ['a combining mark that composes with nothing', 'q\u0301@example.com', /combining mark/],
    ['a space', 'kim smith@example.com', /invisible|space/],
    ['an emoji', '😀@example.com', /only letters/],
    ['a quoted local part', '"kim"@example.com', /only letters/],
    ['no domain dot', 'kim@localhost', /domain/],
    ['two @', 'kim@x@example.com', /only letters/],
    ['no local part', '@example.com', /not valid/],
    ['a 65-character local part', `${'a'.repeat(65)}@example.com`, /too long/],
  ];
  for (const [what, typed, reason] of refused) {
    test(`refuses ${what}`, () => {
      const result = parseEmailAddress(typed);
      assert.equal(result.ok, false, `${JSON.stringify(typed)} is refused`);
      assert.match((result as { reason: string }).reason, reason);
    });
  }
});

describe('every path that takes an address uses the rule', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  before(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: 'HelloJohn <no-reply@example.com>',
    });
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  test('a Kelvin-sign address is the plain address: stored, shown and mailed as it', async () => {
    const registered = await t.post('/v2/auth/register', {
      email: `${KELVIN}im@example.com`,
      password: STRONG_PASSWORD,
      name: 'Squatter',
    });
    assert.equal(registered.status, 201);
    assert.equal((registered.body.user as { email: string }).email, 'kim@example.com');
    const mail = await smtp.waitFor((m) => /verify/i.test(m.subject));
    assert.deepEqual(
      mail.to,
      ['kim@example.com'],
      'the link goes to the real mailbox, not to the look-alike',
    );
    const rows = await t.db.query<{ email: string; email_normalized: string }>(
      `SELECT email, email_normalized FROM users`,
    );
    assert.deepEqual(rows.rows, [{ email: 'kim@example.com', email_normalized: 'kim@example.com' }]);

    // The same account under every spelling: no second account, no second key.
    for (const email of ['kim@example.com', 'ｋｉｍ@example.com', 'KIM@EXAMPLE.COM']) {
      const again = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
      assert.equal(again.status, 409, `${email} is the same account`);
    }
    const login = await t.post('/v2/auth/login', { email: 'ｋｉｍ@Example.com', password: STRONG_PASSWORD });
    assert.equal(login.status, 200, 'fullwidth letters sign in to the same account');

    // The owner of the real mailbox takes the account over with a reset, whatever spelling asked for it.
    assert.equal((await t.post('/v2/auth/forgot', { email: `${KELVIN}IM@example.com` })).status, 202);
    const reset = await smtp.waitFor((m) => /reset/i.test(m.subject));
    assert.deepEqual(reset.to, ['kim@example.com']);
  });

  test('refused addresses: 400 with the reason at registration, the usual answers elsewhere', async () => {
    for (const email of [`p${CYRILLIC_A}ypal@example.com`, `ki${ZWJ}m@example.com`]) {
      const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
      assert.equal(registered.status, 400, email);
      assert.equal(registered.body.error, 'invalid_request');
      assert.match(String(registered.body.error_description), /email address/);
      assert.equal(typeof registered.body.request_id, 'string');

      // Login, forgot and verify-email/send tell nothing: the same answers as for an unknown address.
      const login = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
      assert.equal(login.status, 401);
      assert.equal(login.body.error, 'invalid_credentials');
      assert.equal((await t.post('/v2/auth/forgot', { email })).status, 202);
      assert.equal((await t.post('/v2/auth/verify-email/send', { email })).status, 202);
    }
    const count = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE email LIKE 'p%'`,
    );
    assert.equal(count.rows[0]!.n, 0, 'nothing was stored');
  });

  test('accounts stored under the previous rule keep signing in and cannot be registered twice', async () => {
    // Keys the previous rule (trimmed, NFC, lower-cased) stored, which the new rule spells differently
    // (a punycode domain, a ligature) or refuses (a dotted capital I).
    const cases = [
      { typed: 'x@xn--strae-oqa.de', stored: 'x@xn--strae-oqa.de' },
      { typed: '\uFB01nn@example.com', stored: '\uFB01nn@example.com' },
      { typed: '\u0130lker@example.com', stored: 'i\u0307lker@example.com' },
    ];
    for (const [i, { typed, stored }] of cases.entries()) {
      const registered = await t.post('/v2/auth/register', {
        email: `seed-${i}@example.com`,
        password: STRONG_PASSWORD,
      });
      assert.equal(registered.status, 201);
      const id = (registered.body.user as { id: string }).id;
      await t.db.query('UPDATE users SET email = $1, email_normalized = $1 WHERE id = $2', [stored, id]);

      const login = await t.post('/v2/auth/login', { email: typed, password: STRONG_PASSWORD });
      assert.equal(login.status, 200, `${typed} still signs in: ${JSON.stringify(login.body)}`);
      const again = await t.post('/v2/auth/register', { email: typed, password: STRONG_PASSWORD });
      assert.notEqual(again.status, 201, `${typed} is not registered a second time`);
    }
  });

  test('verify-email/send and the browser session login take any spelling of the address', async () => {
    const registered = await t.post('/v2/auth/register', {
      email: 'zoe@example.org',
      password: STRONG_PASSWORD,
    });
    assert.equal(registered.status, 201);
    const before = smtp.messages().length;
    assert.equal((await t.post('/v2/auth/verify-email/send', { email: 'ＺＯＥ@example.org' })).status, 202);
    const mail = await smtp.waitFor(
      (m) => m.to.includes('zoe@example.org') && smtp.messages().indexOf(m) >= before,
    );
    assert.match(mail.subject, /verify/i);
    const session = await t.post('/v2/session/login', {
      email: 'ＺＯＥ@EXAMPLE.ORG',
      password: STRONG_PASSWORD,
    });
    assert.equal(session.status, 200, 'the session login normalises too');
  });
});

test('the CLI creates users under the normalised address and refuses look-alikes', async () => {
  const db = await createTestDatabase();
  try {
    assert.equal((await runCli(['migrate'], db.env)).code, 0);
    const created = await runCli(
      ['users', 'create', '--email', 'ＭＡＸ@Example.com', '--password', STRONG_PASSWORD, '--json'],
      { ...db.env, ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' },
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal((JSON.parse(created.stdout) as { email: string }).email, 'max@example.com');
    const refused = await runCli(
      ['users', 'create', '--email', `m${CYRILLIC_A}x@example.com`, '--password', STRONG_PASSWORD],
      { ...db.env, ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /scripts/);
  } finally {
    await db.drop();
  }
});
