// The MFA module's real factors end to end: a person in headless Chromium signs in through the hosted
// /login and /mfa pages inside an authorization code + PKCE flow, openid-client is the relying party, and
// the ID token (verified again with jose) says how the user signed in: amr (RFC 8176) and acr. TOTP codes
// come from the enrolment secret, email codes from the real SMTP server, SMS codes from the local fake
// Twilio. Screenshots of /mfa with each factor: test-results/screenshots/mfa-real-*-{390,1280}.png.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { JWTPayload } from 'jose';
import type { Page } from 'playwright-core';
import {
  authorizeInBrowser,
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../../../test/support/browser.js';
import {
  TEST_TWILIO,
  codeInSms,
  startFakeTwilio,
  twilioEnv,
  type FakeSmsProvider,
} from '../../../test/support/fake-sms.js';
import { bearer, enrolEmail, enrolSms, enrolTotp, totpCode } from '../../../test/support/mfa.js';
import {
  authRequest,
  exchange,
  sleep,
  startOidcApp,
  verifyIdToken,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../../../test/support/oidc.js';
import {
  codeInMail,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';

// The contract, written out (not the constants of src/oauth/acr.ts, so a change there shows here).
const LOA1 = 'urn:hellojohn:loa:1';
const LOA2 = 'urn:hellojohn:loa:2';
const TOTP_PROMPT = 'The code from your authenticator app';

describe('MFA in Chromium, inside OpenID Connect authorizations', { skip: unlessChromium() }, () => {
  let t: OidcTestApp;
  let smtp: TestSmtpServer;
  let twilio: FakeSmsProvider<unknown>;
  let callbacks: CallbackServer;
  let nextMail: MailReader;
  const browser = sharedBrowser();

  before(async () => {
    [smtp, twilio, callbacks] = await Promise.all([
      startSmtpServer(),
      startFakeTwilio(TEST_TWILIO),
      startCallbackServer(),
    ]);
    nextMail = mailReader(smtp);
    // A wide TOTP window lets a test use the next few time steps (each step is accepted once) without
    // waiting for the clock.
    t = await startOidcApp({ ...smtpEnv(smtp), ...twilioEnv(twilio), MFA_TOTP_WINDOW: '6' });
  });
  after(async () => {
    await browser.close();
    await t?.close();
    await Promise.all([smtp?.stop(), twilio?.stop(), callbacks?.close()]);
  });

  interface RelyingParty {
    c: TestClient;
    config: Awaited<ReturnType<OidcTestApp['rp']>>;
  }

  /** A first-party client of `tenant` (no consent page) redirecting to the callback server. */
  async function relyingParty(tenant = 'default'): Promise<RelyingParty> {
    const c = await t.createClient({ tenant, firstParty: true, redirectUris: [callbacks.uri()] });
    return { c, config: await t.rp(c) };
  }

  /** A browser of its own (no cookies), closed when the test ends. */
  async function newBrowser(tc: TestContext): Promise<Page> {
    const context = await (await browser.get()).newContext({ viewport: { width: 1280, height: 900 } });
    tc.after(() => context.close());
    return context.newPage();
  }

  /**
   * One authorization in `page`, from the authorization request to the code exchange: the ID token's
   * claims (verified with jose), and which hosted pages showed.
   */
  async function authorization(
    page: Page,
    rp: RelyingParty,
    user: TestUser | null,
    options: { params?: Record<string, string>; secondStep?: (page: Page) => Promise<void> } = {},
  ) {
    const req = await authRequest(rp.config, rp.c, options.params);
    const answers = { secondStep: options.secondStep };
    const landed = await authorizeInBrowser(page, req.url, req.redirectUri, callbacks, user, answers);
    const { callback, pagesSeen } = landed;
    const tokens = await exchange(rp.config, req, callback);
    const claims = await verifyIdToken(rp.c, tokens.id_token);
    assert.deepEqual(tokens.claims(), claims, 'openid-client and jose read the same ID token');
    return { claims, pagesSeen };
  }

  /** Both steps passed, the second with a factor whose RFC 8176 value is `factorAmr`. */
  function assertTwoSteps(claims: JWTPayload, factorAmr: 'otp' | 'sms') {
    assert.deepEqual(claims.amr, ['pwd', factorAmr, 'mfa']);
    assert.equal(claims.acr, LOA2);
  }

  /** The page at a phone's and a laptop's width, as mfa-real-<name>-<width>.png; it never scrolls sideways. */
  async function screenshots(page: Page, name: string) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(scrollWidth <= width, `${name} fits ${width} px (scrolls ${scrollWidth} px)`);
      await screenshot(page, `mfa-real-${name}-${width}`);
    }
  }

  const heading = (page: Page) => page.locator('h1').innerText();

  /** Types `code` into the field labelled `label` and continues: the status of the form's answer. */
  async function enterCode(page: Page, label: string, code: string): Promise<number> {
    await page.getByLabel(label).fill(code);
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/mfa'),
    );
    await page.getByRole('button', { name: 'Continue' }).click();
    return (await answer).status();
  }

  /** Clicks a button that posts one of the page's forms, and waits for the page it answers with. */
  async function press(page: Page, name: string) {
    await page.getByRole('button', { name, exact: true }).click();
    await page.waitForLoadState('load');
  }

  /** A recovery code passed: a page says how many are left, and Continue goes on to the application. */
  async function recoveryCodeAccepted(page: Page, code: string, left: number, shot?: string) {
    assert.equal(await enterCode(page, 'One of your recovery codes', code), 200);
    assert.equal(await heading(page), 'Before you continue');
    assert.equal(
      await page.getByRole('status').innerText(),
      `You used a recovery code. You have ${String(left)} left; each works once.`,
    );
    assert.ok(await page.getByRole('link', { name: 'Make new ones on your account page' }).isVisible());
    if (shot) await screenshots(page, shot);
    await page.getByRole('link', { name: 'Continue' }).click();
  }

  test('TOTP: the authenticator code on /mfa; the ID token says pwd + otp + mfa, loa:2', async (tc) => {
    const user = await t.createUser();
    const { secret } = await enrolTotp(t, bearer(user.accessToken));
    const rp = await relyingParty();
    const { claims, pagesSeen } = await authorization(await newBrowser(tc), rp, user, {
      secondStep: async (page) => {
        assert.equal(await heading(page), 'Verify it’s you');
        assert.equal(await page.locator('.factor').innerText(), 'Authenticator app');
        assert.equal(await page.locator('input[name="password"]').count(), 0);
        assert.equal(await page.getByLabel(TOTP_PROMPT).getAttribute('inputmode'), 'numeric');
        await screenshots(page, 'totp');
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(secret, 1)), 303);
      },
    });
    assert.deepEqual(pagesSeen, ['login', 'mfa']);
    assertTwoSteps(claims, 'otp');
  });

  test('email code: sent when the page shows, the code from the mail, then tokens', async (tc) => {
    const user = await t.createUser();
    await enrolEmail(t, bearer(user.accessToken), user.email, nextMail);
    const { claims, pagesSeen } = await authorization(await newBrowser(tc), await relyingParty(), user, {
      secondStep: async (page) => {
        assert.equal(await page.locator('.factor').innerText(), 'Email code');
        const [local, domain] = user.email.split('@');
        assert.equal(
          await page.getByRole('status').innerText(),
          `We sent a code to ${local![0]}•••@${domain}.`,
        );
        await screenshots(page, 'email-sent');
        const code = codeInMail(await nextMail(user.email, /sign-in code/));
        assert.equal(await enterCode(page, 'The 6-digit code we emailed you', code), 303);
      },
    });
    assert.deepEqual(pagesSeen, ['login', 'mfa']);
    // RFC 8176 has no value for email: a code mailed once is a one-time password.
    assertTwoSteps(claims, 'otp');
  });

  test('SMS code through the fake Twilio (its base URL is configuration): sent when the page shows, the texted code', async (tc) => {
    const user = await t.createUser();
    const number = '+12025550142';
    await enrolSms(t, bearer(user.accessToken), number, twilio);
    const texts = twilio.messages.length;
    const { claims } = await authorization(await newBrowser(tc), await relyingParty(), user, {
      secondStep: async (page) => {
        assert.equal(await page.locator('.factor').innerText(), 'Text message');
        assert.equal(await page.getByRole('status').innerText(), 'We sent a code to +1 ••• ••• 0142.');
        await screenshots(page, 'sms-sent');
        assert.equal(twilio.messages.length, texts + 1, 'one text sent');
        const code = codeInSms(twilio.lastMessageTo(number));
        assert.equal(await enterCode(page, 'The 6-digit code we texted you', code), 303);
      },
    });
    assertTwoSteps(claims, 'sms');
  });

  test('recovery code: "Use recovery code instead" signs in once; the same code in a second authorization is refused', async (tc) => {
    const user = await t.createUser();
    const { recoveryCodes } = await enrolTotp(t, bearer(user.accessToken));
    assert.equal(recoveryCodes.length, 10);
    const [code, another] = recoveryCodes as [string, string];
    const rp = await relyingParty();
    const page = await newBrowser(tc);
    const useRecoveryCode = async (page: Page, answer: string) => {
      await press(page, 'Use recovery code instead');
      assert.equal(await page.locator('.factor').innerText(), 'Recovery code');
      return enterCode(page, 'One of your recovery codes', answer);
    };

    const first = await authorization(page, rp, user, {
      secondStep: async (page) => {
        await press(page, 'Use recovery code instead');
        // Letters and digits: a phone's full keyboard, not the number pad.
        assert.equal(await page.getByLabel('One of your recovery codes').getAttribute('inputmode'), 'text');
        await screenshots(page, 'recovery');
        await recoveryCodeAccepted(page, code, 9, 'recovery-left');
      },
    });
    assertTwoSteps(first.claims, 'otp');

    // prompt=login: a full sign-in again in the same browser.
    const second = await authorization(page, rp, user, {
      params: { prompt: 'login' },
      secondStep: async (page) => {
        assert.equal(await useRecoveryCode(page, code), 401, 'a recovery code works once');
        assert.equal(await page.getByRole('alert').innerText(), 'The code is not correct.');
        await screenshots(page, 'recovery-used');
        // Another of the codes passes: the refusal was about the code used before.
        await recoveryCodeAccepted(page, another, 8);
      },
    });
    assertTwoSteps(second.claims, 'otp');
    const factors = await t.get('/v2/auth/mfa/factors', bearer(user.accessToken));
    const left = (factors.body.factors as { type: string; remaining?: number }[]).find(
      (f) => f.type === 'recovery_code',
    );
    assert.equal(left?.remaining, 8);
  });

  test('tenant policy required, no factor yet: the app is set up on /mfa during the sign-in (QR, key), then tokens', async (tc) => {
    await t.createTenant('strict');
    const admin = await t.app.services.admins.create('root@example.com');
    const policy = await fetch(`${t.base}/v2/admin/tenants/strict/mfa-policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'required' }),
    });
    assert.equal(policy.status, 200, await policy.text());
    const user = await t.createUser('strict');
    assert.equal(user.accessToken, undefined, 'registration does not sign in past the policy');
    const rp = await relyingParty('strict');

    let shownCodes: string[] = [];
    const { claims, pagesSeen } = await authorization(await newBrowser(tc), rp, user, {
      secondStep: async (page) => {
        assert.equal(new URL(page.url()).pathname, '/t/strict/login');
        assert.equal(await heading(page), 'Secure your account');
        const qr = page.getByRole('img', { name: /QR code/ });
        const box = await qr.boundingBox();
        assert.ok(box && box.width >= 150, 'the QR code is shown at a scannable size');
        shownCodes = await page.locator('.recovery-codes li').allInnerTexts();
        assert.equal(shownCodes.length, 10, 'the recovery codes made with the first factor are shown');
        await screenshots(page, 'enrol');
        // "Can't scan it?": the key, as a person would type it into the app.
        await page.getByText('Can’t scan it? Enter this key instead').click();
        const key = (await page.locator('details.secret code').innerText()).replace(/\s/g, '');
        assert.match(key, /^[A-Z2-7]{32}$/, '160 bits in base32');
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(key)), 303);
      },
    });
    assert.deepEqual(pagesSeen, ['login', 'mfa']);
    assertTwoSteps(claims, 'otp');

    // The app is the user's factor now, and the codes the page showed are theirs: another browser signs in
    // with one of them (no setup this time).
    const again = await authorization(await newBrowser(tc), rp, user, {
      secondStep: async (page) => {
        assert.equal(await heading(page), 'Verify it’s you');
        await press(page, 'Use recovery code instead');
        await recoveryCodeAccepted(page, shownCodes[3]!, 9);
      },
    });
    assertTwoSteps(again.claims, 'otp');
  });

  test('step-up: a password-only session, then acr_values=loa:2 asks only for the second step', async (tc) => {
    // Signed in before setting a factor up: the session has the password only.
    const user = await t.createUser();
    const rp = await relyingParty();
    const page = await newBrowser(tc);
    const first = await authorization(page, rp, user);
    assert.deepEqual(first.pagesSeen, ['login']);
    assert.deepEqual(first.claims.amr, ['pwd']);
    assert.equal(first.claims.acr, LOA1);
    const { secret } = await enrolTotp(t, bearer(user.accessToken));
    // auth_time counts seconds: let one pass, so the step-up's own shows.
    await sleep(Math.max(0, (Number(first.claims.auth_time) + 1) * 1000 - Date.now()));

    const stepped = await authorization(page, rp, null, {
      params: { acr_values: LOA2 },
      secondStep: async (page) => {
        assert.equal(new URL(page.url()).pathname, '/mfa');
        assert.equal(await page.locator('input[name="password"]').count(), 0, 'no password asked');
        assert.equal(
          await page.locator('.intro').innerText(),
          'The application asks you to confirm it’s you with a second step.',
        );
        await screenshots(page, 'step-up');
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(secret, 1)), 303);
      },
    });
    assert.deepEqual(stepped.pagesSeen, ['mfa'], 'the second step only');
    assertTwoSteps(stepped.claims, 'otp');
    assert.equal(stepped.claims.sid, first.claims.sid, 'the same session, stepped up');
    assert.ok(Number(stepped.claims.auth_time) > Number(first.claims.auth_time), 'auth_time is the step-up');
  });

  test('"Remember this device": the next sign-in in this browser skips /mfa, until the user signs out everywhere', async (tc) => {
    const user = await t.createUser();
    const auth = bearer(user.accessToken);
    const { secret } = await enrolTotp(t, auth);
    const rp = await relyingParty();
    const page = await newBrowser(tc);

    const first = await authorization(page, rp, user, {
      secondStep: async (page) => {
        await page.getByLabel('Remember this device for 30 days').check();
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(secret, 1)), 303);
      },
    });
    assertTwoSteps(first.claims, 'otp');
    const device = (await page.context().cookies()).find((c) => c.name.startsWith('hj_device_'));
    assert.ok(device, 'the trusted-device cookie is set');
    assert.equal(device.httpOnly, true);
    assert.equal(device.sameSite, 'Lax');

    // prompt=login: a full sign-in again in this browser; the password is enough now (no secondStep
    // answer: the /mfa page would fail the walk).
    const remembered = await authorization(page, rp, user, { params: { prompt: 'login' } });
    assert.deepEqual(remembered.pagesSeen, ['login']);
    assert.deepEqual(remembered.claims.amr, ['pwd']);
    assert.equal(remembered.claims.acr, LOA1);

    // A trusted device never stands in for a step-up.
    const stepped = await authorization(page, rp, null, {
      params: { acr_values: LOA2 },
      secondStep: async (page) => {
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(secret, 2)), 303);
      },
    });
    assert.deepEqual(stepped.pagesSeen, ['mfa']);
    assertTwoSteps(stepped.claims, 'otp');

    // Sign out everywhere (the account API): the browser's session ends, and the device is trusted no more.
    const out = await t.post('/v2/auth/logout', { all: true }, auth);
    assert.equal(out.status, 204, JSON.stringify(out.body));
    const afterOut = await authorization(page, rp, user, {
      secondStep: async (page) => {
        assert.equal(await enterCode(page, TOTP_PROMPT, totpCode(secret, 3)), 303);
      },
    });
    assert.deepEqual(afterOut.pagesSeen, ['login', 'mfa'], 'the second step is asked again');
    assertTwoSteps(afterOut.claims, 'otp');
  });
});
