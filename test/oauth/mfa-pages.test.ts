// The hosted second step (/mfa) and step-up inside OpenID Connect authorizations, with openid-client as the
// relying party and a second-factor module that exists only in this test (so the core's pages are proven
// apart from the real factors): an authenticator-app factor that can be set up during a sign-in (a real QR
// SVG from the qrcode library), an email-like factor that sends its code, recovery codes as a fallback, and
// a policy with "remember this device". The ID token's amr/acr are checked; screenshots at 390 and 1280 px.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import QRCode from 'qrcode';
import * as client from 'openid-client';
import { defineModule, type FeatureModule } from '../../src/kernel/module.js';
import { featureModules } from '../../src/modules/index.js';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, AUTH0_MULTI_FACTOR } from '../../src/oauth/acr.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import {
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../support/browser.js';
import {
  HttpAgent,
  authRequest,
  callbackOf,
  exchange,
  expectPage,
  expectRedirect,
  isLoginPage,
  parseForms,
  signIn,
  startOidcApp,
  type OidcTestApp,
  type Page,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

const APP_CODE = '123456';
const MAIL_CODE = '654321';
const RECOVERY_CODE = '999999';
const DEVICE_COOKIE = 'hj_test_device';
const SECRET = 'JBSWY3DPEHPK3PXP';

/** Who got a mailed code (the factor accepts its code only after sending it). */
const mailed = new Set<string>();

/**
 * Users named mfa-…: all three factors, a second step at every sign-in. stepup-…: the factors, but a
 * password is enough to sign in (a second step only when an authorization asks for more). enrol-…: no
 * factor, one required (set up during the sign-in). Anyone else: no factor, nothing required.
 */
const testFactors: FeatureModule = defineModule({
  id: 'test-mfa-pages',
  migrations: [
    {
      version: 901,
      name: 'test_mfa_pages',
      sql: `CREATE TABLE test_mfa_pages (tenant_id uuid NOT NULL, user_id uuid NOT NULL, factor text NOT NULL,
              PRIMARY KEY (user_id, factor))`,
    },
  ],
  setup({ db }) {
    const has = async (userId: string, factor: string) =>
      (await db.query('SELECT 1 FROM test_mfa_pages WHERE user_id = $1 AND factor = $2', [userId, factor]))
        .rows.length > 0;
    const enrol = (tenantId: string, userId: string, factor: string) =>
      db.query('INSERT INTO test_mfa_pages VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        tenantId,
        userId,
        factor,
      ]);
    return {
      hooks: {
        async userRegistered(tx, tenant, user) {
          if (!/^(mfa|stepup)-/.test(user.email)) return;
          for (const factor of ['test_app', 'test_mail', 'test_recovery'])
            await tx.query('INSERT INTO test_mfa_pages VALUES ($1, $2, $3)', [tenant.id, user.id, factor]);
        },
      },
      secondFactors: [
        {
          id: 'test_app',
          label: 'Authenticator app',
          prompt: 'The 6-digit code from your authenticator app',
          amr: 'otp',
          enrolled: (_tenant, user) => has(user.id, 'test_app'),
          async beginEnrollment(_tenant, user) {
            const uri = `otpauth://totp/HelloJohn:${encodeURIComponent(user.email)}?secret=${SECRET}&issuer=HelloJohn`;
            return { uri, secret: SECRET, qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 0 }) };
          },
          async verify(tenant, user, code, _meta, { enrolling }) {
            if (code !== APP_CODE) return null;
            if (enrolling) await enrol(tenant.id, user.id, 'test_app');
            return enrolling || (await has(user.id, 'test_app')) ? {} : null;
          },
        },
        {
          id: 'test_mail',
          label: 'Email',
          prompt: 'The code we emailed you',
          amr: 'otp',
          enrolled: (_tenant, user) => has(user.id, 'test_mail'),
          async send(_tenant, user) {
            mailed.add(user.id);
            return { sentTo: `${user.email.slice(0, 1)}•••${user.email.slice(user.email.indexOf('@'))}` };
          },
          async verify(_tenant, user, code) {
            return mailed.has(user.id) && code === MAIL_CODE ? {} : null;
          },
        },
        {
          id: 'test_recovery',
          label: 'Recovery code',
          prompt: 'One of your recovery codes',
          amr: 'otp',
          fallback: true,
          enrolled: (_tenant, user) => has(user.id, 'test_recovery'),
          async verify(_tenant, _user, code) {
            return code === RECOVERY_CODE ? { remaining: 3 } : null;
          },
        },
      ],
      secondStepPolicy: {
        async decide(_tenant, user, { enrolled, meta, stepUp }) {
          if (user.email.startsWith('enrol-') && enrolled.length === 0)
            return { required: true, factors: ['test_app'], enroll: true, rememberDays: 30 };
          if (enrolled.length === 0) return { required: false };
          if (!stepUp && !user.email.startsWith('mfa-')) return { required: false };
          if (!stepUp && meta.cookies?.[DEVICE_COOKIE] === `trusted-${user.id}`) return { required: false };
          return { required: true, factors: [...enrolled], preferred: 'test_app', rememberDays: 30 };
        },
        async rememberDevice(_tenant, user) {
          return { name: DEVICE_COOKIE, value: `trusted-${user.id}`, maxAgeSeconds: 30 * 86400 };
        },
      },
    };
  },
});

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp(
    { LOGIN_MAX_FAILURES: '3', RATE_LIMIT_FAILURES_PER_IP: '100000', RATE_LIMIT_PER_IP: '100000' },
    { modules: [...featureModules.filter((m) => m.id !== 'mfa'), testFactors] },
  );
});
after(() => t.close());

async function registered(prefix: 'mfa' | 'stepup' | 'enrol' | 'plain'): Promise<TestUser> {
  const email = `${prefix}-${uniqueEmail(prefix)}`;
  const r = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { email, password: STRONG_PASSWORD, tenant: 'default', name: '' };
}

const isMfaPage = (p: Page) => p.html.includes('name="mfa_token"');

/** The form of the /mfa page doing `action` (for `choose`: about `factor`). */
const mfaForm = (action: string, factor?: string) => (f: ReturnType<typeof parseForms>[number]) =>
  f.fields.some((x) => x.name === 'action' && x.value === action) &&
  (factor === undefined || f.fields.some((x) => x.name === 'factor' && x.value === factor));

/** A first-party client, its RP configuration, and the /mfa page an mfa- user reaches after the password. */
async function toMfaPage(user: TestUser, params: Record<string, string> = {}, c?: TestClient) {
  c ??= await t.createClient({ firstParty: true });
  const config = await t.rp(c);
  const agent = new HttpAgent();
  const req = await authRequest(config, c, params);
  const login = expectPage(await agent.walk(req.url), 'the sign-in page', isLoginPage);
  const page = expectPage(
    await agent.submit(login, { email: user.email, password: user.password }),
    'the second-step page',
    isMfaPage,
  );
  return { c, config, agent, req, page };
}

/** Posts the code form (the "remember this device" box unticked unless `extra` ticks it). */
async function verified(agent: HttpAgent, page: Page, code: string, extra: Record<string, string> = {}) {
  return agent.submit(page, { code, ...extra }, { form: mfaForm('verify'), omit: ['remember_device'] });
}

function acrAndAmr(token: string) {
  const claims = jose.decodeJwt(token);
  return { acr: claims.acr, amr: claims.amr };
}

describe('the /mfa page in an OpenID Connect authorization', () => {
  test('discovery lists the acr values; the preferred factor comes first, the others and the fallback are offered', async () => {
    const discovery = await t.get('/.well-known/openid-configuration');
    assert.deepEqual(discovery.body.acr_values_supported, [
      ACR_SINGLE_FACTOR,
      ACR_MULTI_FACTOR,
      AUTH0_MULTI_FACTOR,
    ]);
    assert.ok((discovery.body.claims_supported as string[]).includes('acr'));

    const user = await registered('mfa');
    const { config, agent, req, page } = await toMfaPage(user);
    assert.equal(page.status, 200);
    assert.match(page.html, /<label for="code">The 6-digit code from your authenticator app<\/label>/);
    assert.match(page.html, />Email<\/button>/, 'another factor to choose');
    assert.match(page.html, />Use recovery code instead<\/button>/, 'the fallback, last');
    assert.ok(page.html.indexOf('>Email<') < page.html.indexOf('Use recovery code'));
    assert.match(page.html, /Remember this device for 30 days/);
    assert.equal(parseForms(page).find(mfaForm('verify'))?.action.pathname, '/mfa');
    assert.doesNotMatch(page.html, /name="password"/);

    const tokens = await exchange(
      config,
      req,
      callbackOf(await verified(agent, page, APP_CODE), req.redirectUri),
    );
    const claims = tokens.claims()!;
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.acr, ACR_MULTI_FACTOR);
    assert.deepEqual(acrAndAmr(tokens.access_token), { acr: ACR_MULTI_FACTOR, amr: ['pwd', 'otp', 'mfa'] });

    // A refresh keeps what the sign-in achieved: the same auth_time, amr and acr.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const again = refreshed.claims()!;
    assert.equal(again.acr, ACR_MULTI_FACTOR);
    assert.deepEqual(again.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(again.auth_time, claims.auth_time);
    assert.equal(acrAndAmr(refreshed.access_token).acr, ACR_MULTI_FACTOR);
  });

  test('a factor that sends its code sends it when chosen: "We sent a code to …", Resend, then the code', async () => {
    const user = await registered('mfa');
    const { config, agent, req, page } = await toMfaPage(user);
    const chosen = expectPage(
      await agent.submit(page, {}, { form: mfaForm('choose', 'test_mail') }),
      'the page for the email factor',
    );
    assert.equal(chosen.status, 200);
    assert.match(chosen.html, /<label for="code">The code we emailed you<\/label>/);
    assert.match(chosen.html, /We sent a code to <strong>m•••@example\.com<\/strong>/);
    assert.doesNotMatch(chosen.html, />Send code<\/button>/);
    assert.match(chosen.html, />Authenticator app<\/button>/, 'the preferred factor is now an alternative');

    const sent = expectPage(
      await agent.submit(chosen, {}, { form: mfaForm('send') }),
      'the page, code sent again',
    );
    assert.equal(sent.status, 200);
    assert.match(sent.html, /We sent a code to <strong>m•••@example\.com<\/strong>/);
    assert.match(sent.html, />Resend code<\/button>/);

    const tokens = await exchange(
      config,
      req,
      callbackOf(await verified(agent, sent, MAIL_CODE), req.redirectUri),
    );
    assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
  });

  test('the fallback (a recovery code) completes the sign-in, after a page that says how many are left', async () => {
    const user = await registered('mfa');
    const { config, agent, req, page } = await toMfaPage(user);
    const recovery = expectPage(
      await agent.submit(page, {}, { form: mfaForm('choose', 'test_recovery') }),
      'the page for recovery codes',
    );
    assert.match(recovery.html, /<label for="code">One of your recovery codes<\/label>/);
    assert.doesNotMatch(recovery.html, /Send code/);
    // The factor has a fixed number of uses (this one says 3 are left): the user reads it, then goes on.
    const told = expectPage(await verified(agent, recovery, RECOVERY_CODE), 'the uses-left page');
    assert.equal(told.status, 200);
    assert.match(told.html, /You used a recovery code\. You have 3 left; each works once\./);
    assert.match(told.html, /href="\/account">Make new ones on your account page/);
    const next = /<a class="button" href="([^"]+)">Continue<\/a>/.exec(told.html);
    assert.ok(next, 'a Continue link');
    const continued = new URL(next[1]!.replaceAll('&amp;', '&'));
    assert.equal(`${continued.origin}${continued.pathname}`, req.redirectUri);
    const tokens = await exchange(config, req, continued);
    assert.equal(tokens.claims()!.acr, ACR_MULTI_FACTOR);
  });

  test('with response_mode=form_post the uses-left page holds the answer until Continue is pressed', async () => {
    const user = await registered('mfa');
    const { agent, req, page } = await toMfaPage(user, { response_mode: 'form_post' });
    const recovery = expectPage(
      await agent.submit(page, {}, { form: mfaForm('choose', 'test_recovery') }),
      'the page for recovery codes',
    );
    const told = expectPage(await verified(agent, recovery, RECOVERY_CODE), 'the uses-left page');
    assert.match(told.html, /You have 3 left/);
    assert.doesNotMatch(told.html, /<script/, 'nothing posts it on its own');
    const form = parseForms(told).find((f) => f.action.href === req.redirectUri);
    assert.ok(form, 'Continue posts to the redirect URI');
    assert.ok(form.fields.some((f) => f.name === 'code' && f.value.length > 0));
    assert.match(
      told.headers.get('content-security-policy') ?? '',
      new RegExp(`form-action[^;]*${new URL(req.redirectUri).origin}`),
    );
  });

  test('"Remember this device" sets the policy\'s cookie; the next sign-in skips the second step', async () => {
    const user = await registered('mfa');
    const { c, config, agent, page, req } = await toMfaPage(user);
    const done = await verified(agent, page, APP_CODE, { remember_device: 'true' });
    await exchange(config, req, callbackOf(done, req.redirectUri));
    const set = agent.setCookies.find((line) => line.startsWith(`${DEVICE_COOKIE}=`));
    assert.ok(set, 'the device cookie is set');
    assert.match(set, /; HttpOnly/i);
    assert.match(set, /; SameSite=Lax/i);
    assert.match(set, /; Path=\//i);
    assert.match(set, /; Max-Age=2592000/i);

    // prompt=login: a full sign-in again, in the same browser; the password is enough now.
    const next = await authRequest(config, c, { prompt: 'login' });
    const login = expectPage(await agent.walk(next.url), 'the sign-in page', isLoginPage);
    const landing = await agent.submit(login, { email: user.email, password: user.password });
    const tokens = await exchange(config, next, callbackOf(landing, next.redirectUri));
    assert.deepEqual(tokens.claims()!.amr, ['pwd'], 'no second step on the remembered device');

    // Another browser (no cookie) still gets the second step; without the box ticked, no cookie is set.
    const other = await toMfaPage(user, {}, c);
    await verified(other.agent, other.page, APP_CODE);
    assert.ok(!other.agent.setCookies.some((line) => line.startsWith(`${DEVICE_COOKIE}=`)));
  });

  test('setting a factor up during the sign-in: the QR code (our SVG, as an image) and the key, then the code', async () => {
    const user = await registered('enrol');
    const { config, agent, req, page } = await toMfaPage(user);
    assert.match(page.html, /<h1>Secure your account<\/h1>/);
    const img = /<img src="data:image\/svg\+xml;base64,([^"]+)" alt="QR code[^"]*"/.exec(page.html);
    assert.ok(img, 'the QR code is an image');
    assert.match(Buffer.from(img[1]!, 'base64').toString(), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(page.html, /<code class="value">JBSW Y3DP EHPK 3PXP<\/code>/, 'the key in groups of four');
    assert.match(page.html, /href="otpauth:\/\/totp\//);

    const wrong = expectPage(await verified(agent, page, '000000'), 'the page again');
    assert.equal(wrong.status, 401);
    assert.match(wrong.html, /The code is not correct\./);
    assert.doesNotMatch(
      wrong.html,
      /data:image\/svg/,
      'no new QR code unless asked (it would be a new secret)',
    );
    const shownAgain = expectPage(
      await agent.submit(wrong, {}, { form: mfaForm('enroll') }),
      'the setup again',
    );
    assert.match(shownAgain.html, /data:image\/svg\+xml/);

    const tokens = await exchange(
      config,
      req,
      callbackOf(await verified(agent, shownAgain, APP_CODE), req.redirectUri),
    );
    assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
    const factors = await t.db.query('SELECT factor FROM test_mfa_pages WHERE user_id = $1', [
      tokens.claims()!.sub,
    ]);
    assert.deepEqual(factors.rows, [{ factor: 'test_app' }], 'the factor was set up');
  });

  test('a wrong code answers 401 and signs no one in; too many answer 429 with Retry-After', async () => {
    const user = await registered('mfa');
    const { agent, page, c, config } = await toMfaPage(user);
    let current = page;
    for (let i = 1; i <= 3; i++) {
      current = expectPage(await verified(agent, current, '000000'), `wrong code ${i}`, isMfaPage);
      assert.equal(current.status, 401, `wrong code ${i}`);
      assert.match(current.html, /<p role="alert" class="error">The code is not correct\.<\/p>/);
    }
    const locked = expectPage(await verified(agent, current, APP_CODE), 'the page, locked', isMfaPage);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After');
    assert.match(locked.html, /role="alert"/);
    const silent = await authRequest(config, c, { prompt: 'none' });
    const url = expectRedirect(await agent.walk(silent.url), c.redirectUri);
    assert.equal(url.searchParams.get('error'), 'login_required', 'no session was started');
  });

  test('a dead challenge goes back to the sign-in page with a message', async () => {
    const user = await registered('mfa');
    const { agent, page } = await toMfaPage(user);
    const token = /name="mfa_token" value="([^"]+)"/.exec(page.html)![1]!;
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const back = expectPage(
      await agent.submit(page, { code: APP_CODE, mfa_token: tampered }, { form: mfaForm('verify') }),
      'the sign-in page',
      isLoginPage,
    );
    assert.equal(back.status, 400);
    assert.match(back.html, /sign in again/);

    // Completed, the authorization is over: the same form posted again completes nothing.
    assert.equal((await verified(agent, page, APP_CODE)).kind, 'redirect');
    const replay = expectPage(await verified(agent, page, APP_CODE), 'an error page');
    assert.equal(replay.status, 400);
  });

  test('a form without its CSRF token is refused and completes nothing', async () => {
    const user = await registered('mfa');
    const { agent, page } = await toMfaPage(user);
    const refused = expectPage(
      await agent.submit(page, { code: APP_CODE }, { form: mfaForm('verify'), omit: ['csrf_token'] }),
      'the form-expired page',
    );
    assert.equal(refused.status, 403);
    const send = expectPage(
      await agent.submit(page, {}, { form: mfaForm('choose', 'test_mail'), omit: ['csrf_token'] }),
      'the form-expired page',
    );
    assert.equal(send.status, 403);
    assert.ok(!agent.setCookies.some((line) => line.startsWith('hj_session=')), 'no session was started');
    // With its token the same form completes (so the refusal was about the token).
    assert.equal((await verified(agent, page, APP_CODE)).kind, 'redirect');
  });
});

describe('step-up: acr_values on a password-only session', () => {
  async function passwordOnly(prefix: 'stepup' | 'plain' = 'stepup', clientInput = {}) {
    const user = await registered(prefix);
    const c = await t.createClient({ firstParty: true, ...clientInput });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    const first = await signIn(agent, config, c, user, { acr_values: ACR_SINGLE_FACTOR });
    assert.deepEqual(first.claims.amr, ['pwd']);
    assert.equal(first.claims.acr, ACR_SINGLE_FACTOR);
    return { user, c, config, agent, first };
  }

  for (const acr of [ACR_MULTI_FACTOR, AUTH0_MULTI_FACTOR]) {
    test(`acr_values=${acr} asks only for the second step; the tokens say loa:2`, async () => {
      const { c, config, agent, first } = await passwordOnly();
      const req = await authRequest(config, c, { acr_values: `urn:unknown:ignored ${acr}` });
      const page = expectPage(await agent.walk(req.url), 'the second-step page', isMfaPage);
      assert.equal(new URL(page.url).pathname, '/mfa');
      assert.doesNotMatch(page.html, /name="password"/, 'no password asked');
      assert.match(page.html, /The application asks you to confirm it’s you with a second step\./);
      const tokens = await exchange(
        config,
        req,
        callbackOf(await verified(agent, page, APP_CODE), req.redirectUri),
      );
      const claims = tokens.claims()!;
      assert.equal(claims.acr, ACR_MULTI_FACTOR, 'our value, whichever name the request used');
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
      assert.equal(claims.sid, first.claims.sid, 'the same browser session, stepped up');
      assert.ok(claims.auth_time! >= first.claims.auth_time!);

      // The session now has it: the next request asking for loa:2 goes straight through.
      const next = await authRequest(config, c, { acr_values: ACR_MULTI_FACTOR, prompt: 'none' });
      const tokensAgain = await exchange(
        config,
        next,
        expectRedirect(await agent.walk(next.url), c.redirectUri),
      );
      assert.equal(tokensAgain.claims()!.acr, ACR_MULTI_FACTOR);
    });
  }

  test('prompt=none with a step-up needed answers interaction_required', async () => {
    const { c, config, agent } = await passwordOnly();
    const req = await authRequest(config, c, { acr_values: ACR_MULTI_FACTOR, prompt: 'none' });
    const url = expectRedirect(await agent.walk(req.url), c.redirectUri);
    assert.equal(url.searchParams.get('error'), 'interaction_required');
    assert.equal(url.searchParams.get('state'), req.state);
  });

  test('unknown acr values ask for nothing; loa:1 among the values means one factor is enough', async () => {
    const { c, config, agent } = await passwordOnly();
    for (const acrValues of ['urn:unknown:x', `${ACR_MULTI_FACTOR} ${ACR_SINGLE_FACTOR}`]) {
      const req = await authRequest(config, c, { acr_values: acrValues });
      const tokens = await exchange(config, req, expectRedirect(await agent.walk(req.url), c.redirectUri));
      assert.equal(tokens.claims()!.acr, ACR_SINGLE_FACTOR, acrValues);
    }
  });

  test('a user with no factor to offer goes on as is: the token says loa:1', async () => {
    const { c, config, agent } = await passwordOnly('plain');
    const req = await authRequest(config, c, { acr_values: ACR_MULTI_FACTOR });
    const tokens = await exchange(config, req, expectRedirect(await agent.walk(req.url), c.redirectUri));
    assert.equal(tokens.claims()!.acr, ACR_SINGLE_FACTOR);
    assert.deepEqual(tokens.claims()!.amr, ['pwd']);
  });

  test("a client's default_acr_values applies when the request names none", async () => {
    const { c, config, agent } = await passwordOnly('stepup', { defaultAcrValues: [ACR_MULTI_FACTOR] });
    const req = await authRequest(config, c);
    const page = expectPage(await agent.walk(req.url), 'the second-step page', isMfaPage);
    const tokens = await exchange(
      config,
      req,
      callbackOf(await verified(agent, page, APP_CODE), req.redirectUri),
    );
    assert.equal(tokens.claims()!.acr, ACR_MULTI_FACTOR);

    const admin = t.app.services.clients;
    const tenant = await t.app.services.tenants.resolve('default');
    await assert.rejects(
      admin.create(tenant, {
        name: 'x',
        type: 'confidential',
        grantTypes: ['client_credentials'],
        defaultAcrValues: ['urn:nope'],
      }),
      /default_acr_values: "urn:nope" is not one of/,
    );
    const updated = await admin.update(tenant, c.clientId, { defaultAcrValues: [] });
    assert.deepEqual(updated.defaultAcrValues, []);
  });
});

describe("the sign-in form answers with the error's own status and headers", () => {
  test('locked out: 429 with Retry-After on the sign-in page', async () => {
    const user = await registered('plain');
    const agent = new HttpAgent();
    let page = expectPage(await agent.walk(`${t.base}/login`), 'the sign-in page', isLoginPage);
    for (let i = 1; i <= 3; i++) {
      page = expectPage(
        await agent.submit(page, { email: user.email, password: 'Wrong-Password-123' }),
        'the sign-in page',
      );
      assert.equal(page.status, 401, `wrong password ${i}`);
    }
    const locked = expectPage(
      await agent.submit(page, { email: user.email, password: user.password }),
      'the sign-in page',
    );
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) >= 1, 'Retry-After');
    assert.ok(isLoginPage(locked));
  });
});

describe('the /mfa page in Chromium', { skip: unlessChromium() }, () => {
  let callbacks: CallbackServer;
  const browser = sharedBrowser();
  before(async () => {
    callbacks = await startCallbackServer();
  });
  after(async () => {
    await browser.close();
    await callbacks?.close();
  });

  for (const width of [390, 1280]) {
    test(`without JavaScript at ${width} px: sign in, set the factor up / pass it; screenshots`, async () => {
      const redirectUri = callbacks.uri();
      const c = await t.createClient({ firstParty: true, redirectUris: [redirectUri] });
      const config = await t.rp(c);
      for (const prefix of ['mfa', 'enrol'] as const) {
        // A browser of its own for each user (no session carried over).
        const context = await (
          await browser.get()
        ).newContext({
          javaScriptEnabled: false,
          viewport: { width, height: 900 },
        });
        try {
          const user = await registered(prefix);
          const page = await context.newPage();
          const req = await authRequest(config, c);
          await page.goto(req.url.href);
          await page.getByLabel('Email address').fill(user.email);
          await page.getByLabel('Password').fill(user.password);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForLoadState('load');
          const code = page.getByLabel('The 6-digit code from your authenticator app');
          assert.equal(await code.count(), 1, 'the code field is labelled with the prompt');
          if (prefix === 'enrol') {
            const qr = page.getByRole('img', { name: /QR code/ });
            assert.equal(await qr.count(), 1);
            const box = await qr.boundingBox();
            assert.ok(box && box.width >= 150, 'the QR code is shown at a scannable size');
          }
          const files = [await screenshot(page, `mfa-${prefix}-${width}`)];
          if (prefix === 'mfa') {
            await code.fill('111111');
            await page.getByRole('button', { name: 'Continue' }).click();
            await page.waitForLoadState('load');
            assert.match(await page.locator('[role=alert]').innerText(), /not correct/);
            files.push(await screenshot(page, `mfa-wrong-code-${width}`));
            await page.getByRole('button', { name: 'Email' }).click();
            await page.waitForLoadState('load');
            files.push(await screenshot(page, `mfa-code-sent-${width}`));
            await page.getByLabel('The code we emailed you').fill(MAIL_CODE);
          } else {
            await code.fill(APP_CODE);
          }
          await page.getByLabel('Remember this device for 30 days').check();
          await page.getByRole('button', { name: 'Continue' }).click();
          await page.waitForURL((u) => u.href.startsWith(redirectUri));
          const tokens = await exchange(config, req, callbacks.last(redirectUri)!.url);
          assert.equal(tokens.claims()!.acr, ACR_MULTI_FACTOR);
          for (const file of files) assert.ok(statSync(file).size > 1000, `${file} is a real image`);
        } finally {
          await context.close();
        }
      }
    });
  }
});
