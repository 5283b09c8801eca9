// Sign-in by email through the JSON API, end to end: a real SMTP server process receives the links and
// codes; the test reads them from the mail and uses them as a person (and an app) would. Once and only
// once, expiry, the other-device exchange, unknown addresses answered alike, rate limits, a tenant that has
// it off, and the MFA policy after a link.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import {
  STRONG_PASSWORD,
  startTestApp,
  uniqueEmail,
  type JsonResponse,
  type TestApp,
} from '../../../test/support/app.js';
import { HttpAgent, expectPage, parseForms, type Page } from '../../../test/support/oidc.js';
import { bearer, enrolTotp, totpCode } from '../../../test/support/mfa.js';
import {
  codeInMail as codeIn,
  linkIn,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';
import { createTenantChecked } from '../../admin/tenants.js';

const LINK_PATH = '/v2/auth/magic-link/verify';
const LINK_SUBJECT = /^Sign in to /;
const CODE_SUBJECT = /sign-in code$/;

let ipCounter = 1;
/** A fresh client address (the app trusts X-Forwarded-For from the test): each test its own budget. */
const fromNewIp = () => ({ 'x-forwarded-for': `198.51.100.${ipCounter++}` });

describe('sign-in by email (API)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let admin: Record<string, string>;
  let nextMail: MailReader;

  before(async () => {
    smtp = await startSmtpServer();
    t = await startTestApp({ ...smtpEnv(smtp), TRUST_PROXY: 'true', RATE_LIMIT_PER_IP: '40' });
    nextMail = mailReader(smtp);
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
    const on = await t.app.inject({
      method: 'PUT',
      url: '/v2/admin/tenants/default/email-sign-in',
      headers: admin,
      payload: { magic_link: true, email_otp: true },
    });
    assert.equal(on.statusCode, 200, on.body);
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  async function newUser(prefix: string): Promise<{ email: string; id: string }> {
    const email = uniqueEmail(prefix);
    const r = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD }, fromNewIp());
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { email, id: String(decodeJwt(String(r.body.access_token)).sub) };
  }

  async function pkce() {
    const verifier = client.randomPKCECodeVerifier();
    return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier) };
  }

  /** Asks for a link for an app and returns the verifier it keeps and the link's token from the mail. */
  async function linkFor(email: string, ip = fromNewIp()) {
    const { verifier, challenge } = await pkce();
    const sent = await t.post('/v2/auth/magic-link/send', { email, code_challenge: challenge }, ip);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const link = linkIn(await nextMail(email, LINK_SUBJECT), LINK_PATH);
    return { verifier, link, token: link.searchParams.get('token')! };
  }

  const exchange = (body: Record<string, string>, ip = fromNewIp()) =>
    t.post('/v2/auth/magic-link/exchange', body, ip);

  function amrOf(r: JsonResponse): string[] {
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return decodeJwt(String(r.body.access_token)).amr as string[];
  }

  /** Opens a link in a browser of its own and presses its button: the page that follows. */
  async function openAndConfirm(link: URL, agent = new HttpAgent()): Promise<Page> {
    const page = expectPage(await agent.walk(link), 'the link page', (p) => p.status === 200);
    const landing = await agent.submit(page, {}, { form: (f) => f.action.pathname.endsWith(LINK_PATH) });
    return expectPage(landing, 'the page after the button');
  }

  test('off by default: a tenant without it refuses clearly (403), hides its pages and its sign-in links', async () => {
    await createTenantChecked(t.db, { slug: 'closed', name: 'Closed' });
    const config = await t.get('/t/closed/v2/auth/config');
    const methods = config.body.login_methods as Record<string, boolean>;
    assert.equal(methods.magic_link, false);
    assert.equal(methods.email_otp, false);
    const { challenge } = await pkce();
    const email = uniqueEmail('closed');
    for (const [path, body] of [
      ['/v2/auth/magic-link/send', { email, code_challenge: challenge }],
      ['/v2/auth/otp/send', { email }],
      ['/v2/auth/otp/verify', { email, code: '123456' }],
      ['/v2/auth/magic-link/exchange', { code: '123456', code_verifier: client.randomPKCECodeVerifier() }],
    ] as const) {
      const r = await t.post(`/t/closed${path}`, body, fromNewIp());
      assert.equal(r.status, 403, `${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'access_denied');
      assert.match(String(r.body.error_description), /not enabled for this tenant/);
    }
    const page = await fetch(`${t.base}/t/closed/email-link`);
    assert.equal(page.status, 404);
    const login = await (await fetch(`${t.base}/t/closed/login`)).text();
    assert.ok(!login.includes('Email me a sign-in link'));
    // The default tenant has it on: its sign-in page links to both.
    const on = await (await fetch(`${t.base}/login`)).text();
    assert.ok(on.includes('href="/email-link"') && on.includes('href="/email-code"'), on);
    const onConfig = await t.get('/v2/auth/config');
    assert.deepEqual(
      {
        link: (onConfig.body.login_methods as Record<string, boolean>).magic_link,
        code: (onConfig.body.login_methods as Record<string, boolean>).email_otp,
      },
      { link: true, code: true },
    );

    const bad = await t.app.inject({
      method: 'PUT',
      url: '/v2/admin/tenants/closed/email-sign-in',
      headers: admin,
      payload: { magic_link: 'yes' },
    });
    assert.equal(bad.statusCode, 400);
    const read = await t.app.inject({
      method: 'GET',
      url: '/v2/admin/tenants/closed/email-sign-in',
      headers: admin,
    });
    assert.deepEqual(read.json(), { magic_link: false, email_otp: false });
  });

  test('a link for an app: exchanged once with its verifier (the app opened it); amr otp; the address is verified', async () => {
    const user = await newUser('link-app');
    const { verifier, token, link } = await linkFor(user.email);
    assert.equal(link.origin, t.base);
    const stolen = await exchange({ token, code_verifier: client.randomPKCECodeVerifier() });
    assert.equal(stolen.status, 400, 'the link alone, with another verifier, gives nothing');
    assert.equal(stolen.body.error, 'invalid_grant');
    const done = await exchange({ token, code_verifier: verifier });
    assert.deepEqual(amrOf(done), ['otp']);
    assert.equal(typeof done.body.refresh_token, 'string');
    const me = await t.get('/v2/me', { authorization: `Bearer ${String(done.body.access_token)}` });
    assert.equal(me.body.email_verified, true, 'signing in through the mail proves the address');
    const again = await exchange({ token, code_verifier: verifier });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    const both = await exchange({ token, code: '123456', code_verifier: verifier });
    assert.equal(both.status, 400);
    assert.equal(both.body.error, 'invalid_request');
  });

  test('once and only once: the same link exchanged in parallel signs in exactly once', async () => {
    const user = await newUser('link-race');
    const { verifier, token } = await linkFor(user.email);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => exchange({ token, code_verifier: verifier })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400, 400, 400, 400]);
  });

  test('once and only once: the same link confirmed on its page in parallel shows one code', async () => {
    const user = await newUser('link-page-race');
    const { link } = await linkFor(user.email);
    const agents = Array.from({ length: 4 }, () => new HttpAgent());
    const pages = await Promise.all(
      agents.map(async (a) => expectPage(await a.walk(link), 'the link page', (p) => p.status === 200)),
    );
    const landings = await Promise.all(
      pages.map((p, i) => agents[i]!.submit(p, {}, { form: (f) => f.action.pathname.endsWith(LINK_PATH) })),
    );
    const statuses = landings.map((l) => expectPage(l, 'a page').status).sort();
    assert.deepEqual(statuses, [200, 400, 400, 400]);
  });

  test('another device: the page shows a code that only the app with the verifier can exchange, once', async () => {
    const user = await newUser('link-device');
    const { verifier, link, token } = await linkFor(user.email);
    // Opening the link spends nothing (mail scanners open links): only its button does.
    const peek = await new HttpAgent().walk(link);
    assert.equal(expectPage(peek, 'the link page').status, 200);
    const shown = await openAndConfirm(link);
    assert.equal(shown.status, 200);
    const code = /<code[^>]*>(\d{6})<\/code>/.exec(shown.html)?.[1];
    assert.ok(code, `a code on the page: ${shown.html}`);
    // The link itself is spent now.
    assert.equal((await exchange({ token, code_verifier: verifier })).status, 400);
    // Another app instance (an attacker who saw the code, or who started a flow) has another verifier.
    const other = await exchange({ code, code_verifier: client.randomPKCECodeVerifier() });
    assert.equal(other.status, 400);
    assert.equal(other.body.error, 'invalid_grant');
    const done = await exchange({ code, code_verifier: verifier });
    assert.deepEqual(amrOf(done), ['otp']);
    assert.equal((await exchange({ code, code_verifier: verifier })).status, 400, 'the code works once');
  });

  test('the code a page showed takes a few tries: then it is dead, even the right one', async () => {
    const user = await newUser('link-guess');
    const { verifier, link } = await linkFor(user.email);
    const code = /<code[^>]*>(\d{6})<\/code>/.exec((await openAndConfirm(link)).html)![1]!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++)
      assert.equal((await exchange({ code: wrong, code_verifier: verifier })).status, 400);
    assert.equal((await exchange({ code, code_verifier: verifier })).status, 400);
  });

  test('expiry: an expired link, code or exchange code no longer works', async () => {
    const expire = (userId: string) =>
      t.db.query(
        `UPDATE email_sign_ins SET expires_at = now() - interval '1 second',
           exchange_expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [userId],
      );
    const user = await newUser('expiry');
    const { verifier, token, link } = await linkFor(user.email);
    await expire(user.id);
    assert.equal((await exchange({ token, code_verifier: verifier })).status, 400);
    const dead = expectPage(await new HttpAgent().walk(link), 'the dead-link page');
    assert.equal(dead.status, 400);
    assert.match(dead.html, /expired or was already used/);

    const second = await linkFor(user.email);
    const code = /<code[^>]*>(\d{6})<\/code>/.exec((await openAndConfirm(second.link)).html)![1]!;
    await expire(user.id);
    assert.equal((await exchange({ code, code_verifier: second.verifier })).status, 400);

    assert.equal((await t.post('/v2/auth/otp/send', { email: user.email }, fromNewIp())).status, 202);
    const mailed = codeIn(await nextMail(user.email, CODE_SUBJECT));
    await expire(user.id);
    const late = await t.post('/v2/auth/otp/verify', { email: user.email, code: mailed }, fromNewIp());
    assert.equal(late.status, 401);
  });

  test('email code: signs in once with amr otp; the code sent last is the only one; wrong codes are refused', async () => {
    const user = await newUser('otp');
    const ip = fromNewIp();
    const sent = await t.post('/v2/auth/otp/send', { email: user.email }, ip);
    assert.equal(sent.status, 202);
    assert.deepEqual(sent.body, { status: 'accepted', expires_in: 600 });
    const mail = await nextMail(user.email, CODE_SUBJECT);
    const first = codeIn(mail);
    assert.ok(!mail.subject.includes(first), 'the code is not in the subject line');
    await t.post('/v2/auth/otp/send', { email: user.email }, ip);
    const latest = codeIn(await nextMail(user.email, CODE_SUBJECT));
    if (first !== latest) {
      const replaced = await t.post('/v2/auth/otp/verify', { email: user.email, code: first }, ip);
      assert.equal(replaced.status, 401, 'a new code replaces the last');
    }
    const wrong = String((Number(latest) + 1) % 1_000_000).padStart(6, '0');
    const refused = await t.post('/v2/auth/otp/verify', { email: user.email, code: wrong }, ip);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_credentials');
    const spaced = `${latest.slice(0, 3)} ${latest.slice(3)}`;
    const done = await t.post('/v2/auth/otp/verify', { email: user.email, code: spaced }, ip);
    assert.deepEqual(amrOf(done), ['otp']);
    const replay = await t.post('/v2/auth/otp/verify', { email: user.email, code: latest }, ip);
    assert.equal(replay.status, 401);
    // Audited: the sign-in with its method, and the send; never the code.
    const audit = await t.db.query<{ type: string; data: Record<string, unknown> }>(
      `SELECT type, data FROM audit_events WHERE user_id = $1 ORDER BY id`,
      [user.id],
    );
    assert.ok(audit.rows.some((r) => r.type === 'email_sign_in.code_sent'));
    assert.ok(audit.rows.some((r) => r.type === 'user.login' && r.data.method === 'email_otp'));
    assert.ok(!JSON.stringify(audit.rows).includes(latest));
  });

  test('once and only once: the same code verified in parallel signs in exactly once', async () => {
    const user = await newUser('otp-race');
    const ip = fromNewIp();
    await t.post('/v2/auth/otp/send', { email: user.email }, ip);
    const code = codeIn(await nextMail(user.email, CODE_SUBJECT));
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.post('/v2/auth/otp/verify', { email: user.email, code }, fromNewIp()),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401, 401, 401]);
  });

  test('unknown addresses: the same answer, no mail, nothing stored; verifying answers alike', async () => {
    const known = await newUser('known');
    const unknown = uniqueEmail('nobody');
    const { challenge } = await pkce();
    for (const path of ['/v2/auth/magic-link/send', '/v2/auth/otp/send']) {
      const body = (email: string) => ({ email, code_challenge: challenge });
      const strip = (r: JsonResponse) => ({ status: r.status, body: r.body });
      const a = await t.post(
        path,
        path.includes('magic') ? body(known.email) : { email: known.email },
        fromNewIp(),
      );
      const b = await t.post(path, path.includes('magic') ? body(unknown) : { email: unknown }, fromNewIp());
      assert.deepEqual(strip(a), strip(b), path);
      assert.equal(a.status, 202);
    }
    await nextMail(known.email, LINK_SUBJECT);
    await nextMail(known.email, CODE_SUBJECT);
    await t.app.services.outbox.drain();
    assert.ok(!smtp.messages().some((m) => m.to.includes(unknown)), 'nothing is sent to an unknown address');
    const stored = await t.db.query(
      `SELECT 1 FROM email_sign_ins s JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
      [unknown],
    );
    assert.equal(stored.rows.length, 0);

    const wrongKnown = await t.post(
      '/v2/auth/otp/verify',
      { email: known.email, code: '000000' },
      fromNewIp(),
    );
    const wrongUnknown = await t.post('/v2/auth/otp/verify', { email: unknown, code: '000000' }, fromNewIp());
    const shape = (r: JsonResponse) => ({
      status: r.status,
      error: r.body.error,
      text: r.body.error_description,
    });
    assert.deepEqual(shape(wrongKnown), shape(wrongUnknown));
  });

  test('unknown addresses: the answer does the same database work (none about the account: that comes after)', async () => {
    // Spies, not stand-ins: every statement the app runs is recorded and run; the outbox's preparation
    // (the account's lookup, the stored code, the mail) is held until both answers are in, then run.
    const { db } = t;
    const { outbox } = t.app.services;
    const statements: string[] = [];
    const held: Parameters<typeof outbox.enqueueFrom>[] = [];
    const query = db.query.bind(db);
    const enqueueFrom = outbox.enqueueFrom.bind(outbox);
    db.query = (sql: string, params?: unknown[]) => {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      return query(sql, params);
    };
    outbox.enqueueFrom = (...args) => void held.push(args);
    const known = await newUser('same-work');
    const unknown = uniqueEmail('same-work-nobody');
    const workOf = async (email: string) => {
      statements.length = 0;
      const r = await t.post('/v2/auth/otp/send', { email }, fromNewIp());
      assert.equal(r.status, 202);
      return [...statements];
    };
    let knownWork: string[];
    let unknownWork: string[];
    try {
      knownWork = await workOf(known.email);
      unknownWork = await workOf(unknown);
    } finally {
      db.query = query;
      outbox.enqueueFrom = enqueueFrom;
    }
    assert.deepEqual(knownWork, unknownWork);
    assert.ok(!knownWork.some((sql) => /\busers\b|email_sign_ins/.test(sql)), knownWork.join('\n'));
    assert.equal(held.length, 2, 'both prepare their mail after the answer');
    for (const args of held) enqueueFrom(...args);
    await nextMail(known.email, CODE_SUBJECT);
    await outbox.drain();
    assert.ok(!smtp.messages().some((m) => m.to.includes(unknown)));
  });

  test('rate limits: per address (email) whether or not it has an account, and per client address', async () => {
    const known = await newUser('capped');
    const unknown = uniqueEmail('capped-nobody');
    for (const email of [known.email, unknown]) {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i++) {
        const r = await t.post('/v2/auth/otp/send', { email }, fromNewIp());
        statuses.push(r.status);
        retryAfter ??= r.headers.get('retry-after');
      }
      assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429], email);
      assert.ok(Number(retryAfter) > 0, 'Retry-After is set');
    }
    // Links and codes share the address's hourly budget.
    const { challenge } = await pkce();
    const link = await t.post(
      '/v2/auth/magic-link/send',
      { email: unknown, code_challenge: challenge },
      fromNewIp(),
    );
    assert.equal(link.status, 429);

    // One client address: RATE_LIMIT_PER_IP (40 a minute in this test) requests to send, then 429.
    const ip = fromNewIp();
    let limited: JsonResponse | undefined;
    for (let i = 0; i < 45 && !limited; i++) {
      const r = await t.post('/v2/auth/otp/send', { email: uniqueEmail('many') }, ip);
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 202);
    }
    assert.ok(limited, 'the address is limited');
    assert.equal(limited.body.error, 'rate_limited');
  });

  test('MFA applies after a link: a user with TOTP gets the second step, and passes it with amr otp+mfa', async () => {
    const user = await newUser('link-mfa');
    const signedIn = await t.post(
      '/v2/auth/login',
      { email: user.email, password: STRONG_PASSWORD },
      fromNewIp(),
    );
    const { secret } = await enrolTotp(t, bearer(signedIn.body.access_token));

    const { verifier, token } = await linkFor(user.email);
    const first = await exchange({ token, code_verifier: verifier });
    assert.equal(first.status, 200);
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    assert.equal(first.body.access_token, undefined);
    assert.ok((first.body.factors as string[]).includes('totp'));
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: totpCode(secret, 1),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual([...(decodeJwt(String(done.body.access_token)).amr as string[])].sort(), ['mfa', 'otp']);
  });

  test('hostile input: malformed tokens, verifiers and codes get clear 4xx answers', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const bodies: Record<string, string>[] = [
      { token: 'x', code_verifier: verifier },
      { token: 'A'.repeat(43), code_verifier: verifier },
      { code: 'abcdef', code_verifier: verifier },
    ];
    for (const body of bodies) assert.equal((await exchange(body)).status, 400, JSON.stringify(body));
    assert.equal((await exchange({ token: 'A'.repeat(43), code_verifier: 'short' })).status, 400);
    const badChallenge = await t.post(
      '/v2/auth/magic-link/send',
      { email: uniqueEmail('hostile'), code_challenge: 'not a challenge' },
      fromNewIp(),
    );
    assert.equal(badChallenge.status, 400);
    const noChallenge = await t.post('/v2/auth/magic-link/send', { email: uniqueEmail('h') }, fromNewIp());
    assert.equal(noChallenge.status, 400);
    const page = await fetch(`${t.base}${LINK_PATH}?token=${'%00'.repeat(10)}`);
    assert.equal(page.status, 400);
    const forms = parseForms({
      url: new URL(t.base),
      status: 200,
      headers: new Headers(),
      html: await page.text(),
    });
    assert.equal(forms.length, 0, 'a dead link offers no button');
  });
});
