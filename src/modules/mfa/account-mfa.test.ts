// The account page's "Two-step sign-in" card over real HTTP, as a browser without JavaScript uses it:
// every form CSRF-checked, every change behind a recent sign-in, wrong codes refused in the card with the
// API's statuses, recovery codes shown once on the answer that made them, another user's factor out of
// reach; email codes through a real SMTP server, text messages through a local server speaking Twilio's
// API; audited as the API audits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import {
  formTo,
  pageText,
  postPageForm,
  signInToAccount,
  signedInLongAgo,
} from '../../../test/support/account-page.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { startFakeTwilio, type FakeSmsProvider, type TwilioFailure } from '../../../test/support/fake-sms.js';
import { expectPage, parseForms, type HttpAgent, type Page } from '../../../test/support/oidc.js';
import {
  smtpEnv,
  startSmtpServer,
  type ReceivedMail,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';

const TWILIO = {
  accountSid: `AC${randomBytes(16).toString('hex')}`,
  authToken: randomBytes(16).toString('hex'),
};
const PERIOD = 30;

interface User {
  email: string;
  password: string;
  id: string;
  bearer: Record<string, string>;
}

/** The code of the time step `ahead` steps from now (the app runs with a wide window). */
const codeOf = (key: string, ahead = 0) =>
  new TOTP({ secret: Secret.fromBase32(key), period: PERIOD }).generate({
    timestamp: Date.now() + ahead * PERIOD * 1000,
  });

/** The key the setup page shows under "Can't scan it?". */
function keyOn(html: string): string {
  const key = /<details class="secret">[\s\S]*?<code class="value">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1];
  assert.ok(key, 'the setup page shows the key');
  return key.replace(/ /g, '');
}

/** The recovery codes a page shows. */
const codesOn = (html: string) =>
  [...html.matchAll(/<li><code>([0-9a-z-]{14})<\/code><\/li>/g)].map((m) => m[1]!);

const asPage = (answer: { status: number; headers: Headers; html: string }, url: URL): Page => ({
  url,
  status: answer.status,
  headers: answer.headers,
  html: answer.html,
});

describe('the two-step sign-in card of the account page', () => {
  let smtp: TestSmtpServer;
  let twilio: FakeSmsProvider<TwilioFailure>;
  let t: TestApp;
  let admin: Record<string, string>;
  before(async () => {
    smtp = await startSmtpServer();
    twilio = await startFakeTwilio(TWILIO);
    t = await startTestApp({
      ...smtpEnv(smtp),
      MFA_TOTP_WINDOW: '6',
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.baseUrl,
      SMS_TIMEOUT: '1s',
    });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  });
  after(async () => {
    await t.close();
    await twilio.stop();
    await smtp.stop();
  });

  async function newUser(): Promise<User> {
    const email = uniqueEmail('account-mfa');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201);
    return {
      email,
      password: STRONG_PASSWORD,
      id: (registered.body.user as { id: string }).id,
      bearer: { authorization: `Bearer ${registered.body.access_token as string}` },
    };
  }

  const accountPage = async (agent: HttpAgent) =>
    expectPage(await agent.walk(`${t.base}/account`), 'the account page');

  /** Posts a form of `page` to `path`; the answer as a page (to post its own forms next). */
  async function post(agent: HttpAgent, page: Page, path: string, values: Record<string, string> = {}) {
    const answer = await postPageForm(agent, page, path, values);
    return { ...answer, page: asPage(answer, new URL(`${t.base}${path}`)) };
  }

  /** Sets an authenticator app up through the card; the answer to the confirmation, and the key. */
  async function setUpApp(agent: HttpAgent, account: Page, ahead = 0) {
    const setup = await post(agent, account, '/account/mfa/totp');
    assert.equal(setup.status, 200, pageText(setup));
    const key = keyOn(setup.html);
    const confirmed = await post(agent, setup.page, '/account/mfa/totp/confirm', {
      code: codeOf(key, ahead),
    });
    return { setup, confirmed, key };
  }

  const factorsOf = async (user: User) => {
    const listed = await t.get('/v2/auth/mfa/factors', user.bearer);
    assert.equal(listed.status, 200);
    return listed.body.factors as { id: string; type: string; remaining?: number }[];
  };

  async function auditOf(userId: string) {
    const rows = await t.db.query<{ type: string; data: Record<string, unknown> }>(
      'SELECT type, data FROM audit_events WHERE user_id = $1 ORDER BY id',
      [userId],
    );
    return rows.rows;
  }

  /** Signs in through the API with a recovery code as the second step; the status of that step. */
  async function signInWithRecoveryCode(email: string, code: string): Promise<number> {
    const first = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    const second = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'recovery_code',
      code,
    });
    return second.status;
  }

  const mailReader = () => {
    const seen = new Set<ReceivedMail>();
    return async (email: string): Promise<string> => {
      const mail = await smtp.waitFor(
        (m) => m.to.includes(email) && /Confirm email codes/.test(m.subject) && !seen.has(m),
      );
      seen.add(mail);
      const code = /^(\d{6,10})$/m.exec(mail.text)?.[1];
      assert.ok(code, 'the mail carries a code');
      return code;
    };
  };

  test('set up an authenticator app: the QR code, a wrong code refused in the card, the recovery codes once', async () => {
    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    assert.match(pageText(account), /Two-step sign-in.*Off.*You sign in with your password only/);
    const offers = parseForms(account);
    assert.ok(offers.some(formTo('/account/mfa/totp')), 'an authenticator app is offered');
    assert.ok(offers.some(formTo('/account/mfa/email')), 'email codes are offered');
    assert.match(account.html, /href="\/account\/mfa\/phone"/, 'a phone is offered (SMS configured)');

    const setup = await post(agent, account, '/account/mfa/totp');
    assert.equal(setup.status, 200);
    assert.match(setup.html, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="QR code/);
    assert.match(setup.html, /href="otpauth:\/\/totp\//);
    assert.equal(setup.headers.get('cache-control'), 'no-store');
    assert.deepEqual(codesOn(setup.html), [], 'no recovery codes before the app is confirmed');
    const key = keyOn(setup.html);

    // A wrong code: 401 as in the API, the reason in the card, no QR code again, nothing set up.
    const wrong = codeOf(key, 0) === '000000' ? '111111' : '000000';
    const refused = await post(agent, setup.page, '/account/mfa/totp/confirm', { code: wrong });
    assert.equal(refused.status, 401);
    assert.match(refused.html, /<p role="alert" class="error">The code is not correct\.<\/p>/);
    assert.doesNotMatch(refused.html, /data:image\/svg/);
    assert.ok(parseForms(refused.page).some(formTo('/account/mfa/totp')), '"start again with a new one"');
    assert.deepEqual(await factorsOf(user), []);

    const confirmed = await post(agent, refused.page, '/account/mfa/totp/confirm', { code: codeOf(key, 1) });
    assert.equal(confirmed.status, 200, pageText(confirmed));
    assert.equal(confirmed.headers.get('cache-control'), 'no-store');
    const codes = codesOn(confirmed.html);
    assert.equal(codes.length, 10, 'the first factor comes with recovery codes');
    assert.match(pageText(confirmed), /Your authenticator app is set up/);
    assert.match(pageText(confirmed), /You won’t see these codes again/);
    const download = /href="data:text\/plain;charset=utf-8,([^"]+)" download="recovery-codes.txt"/.exec(
      confirmed.html,
    );
    assert.ok(download && codes.every((c) => decodeURIComponent(download[1]!).includes(c)), 'downloadable');

    // Shown once: not on the account page, and posting the same form again shows none.
    const after = await accountPage(agent);
    assert.deepEqual(codesOn(after.html), []);
    for (const code of codes) assert.ok(!after.html.includes(code));
    assert.match(pageText(after), /Authenticator app.*Recovery codes.*10 of 10 left/);
    assert.match(pageText(after), /On/);
    const again = await post(agent, refused.page, '/account/mfa/totp/confirm', { code: codeOf(key, 2) });
    assert.equal(again.status, 409);
    assert.deepEqual(codesOn(again.html), []);
    assert.match(again.html, /role="alert"[^>]*>The authenticator app is already set up/);

    // They are the codes the sign-in takes.
    assert.equal(await signInWithRecoveryCode(user.email, codes[0]!), 200);
    assert.deepEqual(
      (await factorsOf(user)).map((f) => f.type),
      ['totp', 'recovery_code'],
    );
  });

  test('set up through the page is audited as through the API, with no code or secret', async () => {
    const viaPage = await newUser();
    const { agent, account } = await signInToAccount(t, viaPage);
    const { confirmed, key } = await setUpApp(agent, account);
    assert.equal(confirmed.status, 200);
    const codes = codesOn(confirmed.html);

    const viaApi = await newUser();
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, viaApi.bearer);
    assert.equal(enroll.status, 200);
    const verified = await t.post(
      '/v2/auth/mfa/totp/verify',
      { code: codeOf(String(enroll.body.secret)) },
      viaApi.bearer,
    );
    assert.equal(verified.status, 200);

    const mfaEvents = (rows: { type: string; data: Record<string, unknown> }[]) =>
      rows
        .filter((r) => r.type.startsWith('mfa.'))
        .map((r) => (typeof r.data.with === 'string' ? `${r.type}:${r.data.with}` : r.type))
        .sort();
    const pageTrail = await auditOf(viaPage.id);
    assert.deepEqual(mfaEvents(pageTrail), mfaEvents(await auditOf(viaApi.id)));
    assert.deepEqual(mfaEvents(pageTrail), [
      'mfa.recovery_codes_generated:first_factor',
      'mfa.totp_enrolled',
      'mfa.totp_enrollment_started',
    ]);
    const trail = JSON.stringify(pageTrail);
    assert.ok(!trail.includes(key) && codes.every((c) => !trail.includes(c)), 'no secret or code');
  });

  test('every form checks its CSRF token and changes nothing without it', async () => {
    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    const { confirmed } = await setUpApp(agent, account);
    const codes = codesOn(confirmed.html);
    const page = await accountPage(agent);
    const [totp] = await factorsOf(user);
    for (const [path, values] of [
      ['/account/mfa/remove', { factor_id: totp!.id }],
      ['/account/mfa/recovery-codes', {}],
      ['/account/mfa/email', {}],
    ] as const) {
      const forged = await postPageForm(agent, page, path, { ...values, csrf_token: 'forged' });
      assert.equal(forged.status, 403, `${path}: a forged token`);
      const missing = await postPageForm(agent, page, path, values, ['csrf_token']);
      assert.equal(missing.status, 403, `${path}: no token`);
    }
    assert.deepEqual(
      (await factorsOf(user)).map((f) => f.type),
      ['totp', 'recovery_code'],
      'the app stays',
    );
    assert.equal(await signInWithRecoveryCode(user.email, codes[0]!), 200, 'the codes were not replaced');
  });

  test('without a recent sign-in: "Confirm it’s you" instead of the forms, and a post changes nothing', async () => {
    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    const { confirmed } = await setUpApp(agent, account);
    const codes = codesOn(confirmed.html);
    const fresh = await accountPage(agent);
    // Another method to make preferred (not a sensitive change), set up while the sign-in is recent.
    const nextMail = mailReader();
    const sent = await post(agent, fresh, '/account/mfa/email');
    assert.equal(sent.status, 200);
    const enabled = await post(agent, sent.page, '/account/mfa/email/confirm', {
      code: await nextMail(user.email),
    });
    assert.equal(enabled.status, 303);
    const [totp] = await factorsOf(user);

    await signedInLongAgo(t, user.id);
    const stale = await accountPage(agent);
    for (const path of ['/account/mfa/remove', '/account/mfa/recovery-codes', '/account/mfa/totp'])
      assert.ok(!parseForms(stale).some(formTo(path)), `no form to ${path}`);
    assert.doesNotMatch(stale.html, /href="\/account\/mfa\/phone"/);
    assert.match(pageText(stale), /To add or remove a method, confirm it’s you by signing in again/);
    assert.match(
      stale.html,
      /<a class="button secondary" href="\/login\?return_to=\/account">Confirm it’s you<\/a>/,
    );

    // The forms of the page opened while the sign-in was recent are refused now, in the card.
    for (const [path, values, what] of [
      ['/account/mfa/remove', { factor_id: totp!.id }, 'remove a sign-in method'],
      ['/account/mfa/recovery-codes', {}, 'create new recovery codes'],
    ] as const) {
      const refused = await postPageForm(agent, fresh, path, values);
      assert.equal(refused.status, 401, path);
      assert.match(
        refused.html,
        new RegExp(`role="alert"[^>]*>Confirm it’s you: sign in again to ${what}\\.`),
      );
      assert.match(refused.html, /href="\/login\?return_to=\/account">Confirm it’s you/);
      assert.deepEqual(codesOn(refused.html), []);
    }
    const phone = await agent.request(`${t.base}/account/mfa/phone`);
    assert.equal(phone.status, 401, 'the phone form too');
    await phone.body?.cancel();
    const setupAgain = await postPageForm(agent, account, '/account/mfa/email', {});
    assert.equal(setupAgain.status, 401);
    assert.deepEqual(
      (await factorsOf(user)).map((f) => f.type),
      ['totp', 'email', 'recovery_code'],
      'nothing removed',
    );
    assert.equal(await signInWithRecoveryCode(user.email, codes[0]!), 200, 'the codes were not replaced');

    // The preferred method is not a sensitive change.
    const preferred = await postPageForm(agent, stale, '/account/mfa/preferred', { factor: 'email' });
    assert.equal(preferred.status, 303);
    assert.equal(preferred.location, '/account?notice=preferred_set#mfa');
    const listed = await t.get('/v2/auth/mfa/factors', user.bearer);
    assert.equal(listed.body.preferred_factor, 'email');
  });

  test("another user's factor cannot be removed; an unknown preferred method is refused in the card", async () => {
    const stranger = await newUser();
    const strangers = await signInToAccount(t, stranger);
    await setUpApp(strangers.agent, strangers.account);
    const [strangerTotp] = await factorsOf(stranger);

    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    await setUpApp(agent, account);
    const page = await accountPage(agent);
    for (const id of [strangerTotp!.id, 'recovery_code-of-someone', '00000000-0000-0000-0000-000000000000']) {
      const foreign = await postPageForm(agent, page, '/account/mfa/remove', { factor_id: id });
      assert.equal(foreign.status, 404, id);
      assert.match(foreign.html, /role="alert"[^>]*>No such factor\./);
    }
    assert.deepEqual(
      (await factorsOf(stranger)).map((f) => f.type),
      ['totp', 'recovery_code'],
      "the stranger's app stays",
    );
    // One method: no "Make preferred" on the page; the form is posted as another page would.
    const csrf = parseForms(page)[0]!.fields.find((f) => f.name === 'csrf_token')!.value;
    for (const factor of ['recovery_code', 'sms']) {
      const response = await agent.request(`${t.base}/account/mfa/preferred`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ factor, csrf_token: csrf }).toString(),
      });
      const refused = { status: response.status, html: await response.text() };
      assert.equal(refused.status, 400, factor);
      assert.match(refused.html, /is not one of your factors/);
    }
  });

  test('new recovery codes replace the old ones, shown once; removing the last method turns it off', async () => {
    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    const first = codesOn((await setUpApp(agent, account)).confirmed.html);
    const page = await accountPage(agent);

    const regenerated = await post(agent, page, '/account/mfa/recovery-codes');
    assert.equal(regenerated.status, 200);
    const fresh = codesOn(regenerated.html);
    assert.equal(fresh.length, 10);
    assert.ok(
      fresh.every((c) => !first.includes(c)),
      'all new',
    );
    assert.match(pageText(regenerated), /Any earlier codes no longer work/);
    assert.equal(await signInWithRecoveryCode(user.email, first[0]!), 401, 'an old code is void');
    assert.equal(await signInWithRecoveryCode(user.email, fresh[0]!), 200, 'a new one works');
    const after = await accountPage(agent);
    assert.deepEqual(codesOn(after.html), []);
    assert.match(pageText(after), /9 of 10 left/);

    const [totp] = await factorsOf(user);
    const removed = await postPageForm(agent, after, '/account/mfa/remove', { factor_id: totp!.id });
    assert.equal(removed.status, 303);
    assert.equal(removed.location, '/account?notice=mfa_off#mfa');
    const off = expectPage(await agent.walk(`${t.base}${removed.location}`), 'the account page');
    assert.match(pageText(off), /Two-step sign-in is off: that was your last method/);
    assert.deepEqual(await factorsOf(user), [], 'the recovery codes went with it');
    const login = await t.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    assert.equal(typeof login.body.access_token, 'string', 'no second step any more');
  });

  test('email codes: the code from the mail, a wrong one refused in the card; recovery codes with the first factor', async () => {
    const nextMail = mailReader();
    const user = await newUser();
    const { agent, account } = await signInToAccount(t, user);
    const sent = await post(agent, account, '/account/mfa/email');
    assert.equal(sent.status, 200);
    assert.match(pageText(sent), new RegExp(`We sent a code to ${user.email.replace(/\./g, '\\.')}`));
    const code = await nextMail(user.email);
    const wrong = await post(agent, sent.page, '/account/mfa/email/confirm', {
      code: code === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /role="alert"[^>]*>The code is not correct\./);
    assert.deepEqual(await factorsOf(user), []);
    const on = await post(agent, wrong.page, '/account/mfa/email/confirm', { code });
    assert.equal(on.status, 200);
    assert.equal(codesOn(on.html).length, 10, 'the first factor comes with recovery codes');
    assert.match(pageText(on), /Email codes are on/);
    assert.deepEqual(
      (await factorsOf(user)).map((f) => f.type),
      ['email', 'recovery_code'],
    );

    // A second factor comes without new codes: back to the account page with the notice.
    const { confirmed } = await setUpApp(agent, await accountPage(agent));
    assert.equal(confirmed.status, 303);
    assert.equal(confirmed.location, '/account?notice=totp_added#mfa');
    const page = expectPage(await agent.walk(`${t.base}${confirmed.location}`), 'the account page');
    assert.match(
      page.html,
      /<section class="card" id="mfa"[^>]*>\s*<h2[^>]*>Two-step sign-in<\/h2>\s*<p role="status" class="notice">Your authenticator app is set up\./,
    );
    const types = (await auditOf(user.id)).map((e) => e.type);
    for (const type of ['mfa.code_sent', 'mfa.email_enrolled', 'mfa.recovery_codes_generated'])
      assert.ok(types.includes(type), type);
  });

  test('a phone number: checked, the code texted to it, confirmed; shown masked', async () => {
    const user = await newUser();
    const { agent } = await signInToAccount(t, user);
    const form = expectPage(await agent.walk(`${t.base}/account/mfa/phone`), 'the phone number form');
    assert.equal(form.status, 200);
    const bad = await post(agent, form, '/account/mfa/phone', { phone_number: '12345' });
    assert.equal(bad.status, 400);
    assert.match(bad.html, /role="alert"/);
    assert.match(bad.html, /value="12345"/, 'the number is kept in the field');

    const number = '+12025550147';
    const sent = await post(agent, form, '/account/mfa/phone', { phone_number: number });
    assert.equal(sent.status, 200, pageText(sent));
    assert.match(pageText(sent), /We texted a code to \+1 ••• ••• 0147/);
    const code = /^(\d{6,10}) /.exec(twilio.lastMessageTo(number)?.body ?? '')?.[1];
    assert.ok(code, 'the text carries a code');
    const confirmed = await post(agent, sent.page, '/account/mfa/phone/confirm', { code });
    assert.equal(confirmed.status, 200, pageText(confirmed));
    assert.equal(codesOn(confirmed.html).length, 10);
    const page = await accountPage(agent);
    assert.match(pageText(page), /Text message to \+1 ••• ••• 0147/);
    assert.ok(!page.html.includes('5550147'), 'the number is masked');
    assert.ok(!parseForms(page).some((f) => f.action.pathname === '/account/mfa/phone'));

    // The provider down: the reason in the card (503), nothing kept.
    const other = await newUser();
    const others = await signInToAccount(t, other);
    const otherForm = expectPage(await others.agent.walk(`${t.base}/account/mfa/phone`), 'the form');
    twilio.failWith({ status: 500, code: 20500 });
    try {
      const down = await post(others.agent, otherForm, '/account/mfa/phone', {
        phone_number: '+12025550148',
      });
      assert.equal(down.status, 503);
      assert.match(down.html, /role="alert"/);
      assert.ok(down.headers.get('retry-after'));
    } finally {
      twilio.recover();
    }
    assert.deepEqual(await factorsOf(other), []);
  });

  test("only what the tenant's policy allows is offered, and a forged form for another is refused", async () => {
    const policy = await t.get('/v2/admin/tenants/default/mfa-policy', admin);
    assert.equal(policy.status, 200);
    const put = (body: unknown) =>
      fetch(`${t.base}/v2/admin/tenants/default/mfa-policy`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await put({ factors: ['totp', 'recovery_code'] })).status, 200);
    try {
      const user = await newUser();
      const { agent, account } = await signInToAccount(t, user);
      assert.ok(parseForms(account).some(formTo('/account/mfa/totp')));
      assert.ok(!parseForms(account).some(formTo('/account/mfa/email')), 'no email codes');
      assert.doesNotMatch(account.html, /\/account\/mfa\/phone/, 'no phone');
      const forged = await postPageForm(agent, account, '/account/mfa/totp', {});
      assert.equal(forged.status, 200, 'the app is offered');
      const email = await agent.request(`${t.base}/account/mfa/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          csrf_token: parseForms(account)[0]!.fields.find((f) => f.name === 'csrf_token')!.value,
        }).toString(),
      });
      assert.equal(email.status, 403);
      assert.match(await email.text(), /does not offer/);
      const phone = await agent.request(`${t.base}/account/mfa/phone`);
      assert.equal(phone.status, 403);
      await phone.body?.cancel();
    } finally {
      assert.equal((await put(policy.body)).status, 200);
    }
  });
});

describe('the two-step sign-in card without an SMS provider', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('no phone is offered, and the phone form is refused', async () => {
    const email = uniqueEmail('account-mfa-nosms');
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
    const { agent, account } = await signInToAccount(t, { email, password: STRONG_PASSWORD });
    assert.doesNotMatch(pageText(account), /Text message/);
    assert.doesNotMatch(account.html, /\/account\/mfa\/phone/);
    const phone = await agent.request(`${t.base}/account/mfa/phone`);
    assert.equal(phone.status, 403);
    await phone.body?.cancel();
  });
});
