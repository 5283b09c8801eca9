// Sign-in by email on the hosted pages, inside OpenID Connect authorizations with openid-client as the
// relying party: a link continues the authorization in the browser that asked for it; in another browser it
// says so and signs that browser in without it; codes; the second step of a user with TOTP; CSRF; and one
// Chromium run without JavaScript with screenshots at 390 and 1280 px.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { uniqueEmail } from '../../../test/support/app.js';
import { bearer, enrolTotp, totpCode } from '../../../test/support/mfa.js';
import {
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../../../test/support/browser.js';
import {
  HttpAgent,
  authRequest,
  callbackOf,
  exchange,
  expectPage,
  isLoginPage,
  parseForms,
  startOidcApp,
  type OidcTestApp,
  type Page,
  type TestClient,
} from '../../../test/support/oidc.js';
import {
  codeInMail as codeIn,
  linkIn,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';

const LINK_PATH = '/v2/auth/magic-link/verify';
const LINK_SUBJECT = /^Sign in to /;
const CODE_SUBJECT = /sign-in code$/;

let smtp: TestSmtpServer;
let t: OidcTestApp;
let nextMail: MailReader;

before(async () => {
  smtp = await startSmtpServer();
  t = await startOidcApp({ ...smtpEnv(smtp), RATE_LIMIT_PER_IP: '100000' });
  nextMail = mailReader(smtp);
  const admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
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

/** The link under the sign-in form labelled `label`, followed. */
async function follow(agent: HttpAgent, page: Page, label: string): Promise<Page> {
  const href = new RegExp(`<a href="([^"]+)">${label}</a>`).exec(page.html)?.[1];
  assert.ok(href, `a "${label}" link on ${page.url.href}`);
  return expectPage(await agent.walk(new URL(href.replace(/&amp;/g, '&'), page.url)), label);
}

const sendForm = (f: ReturnType<typeof parseForms>[number]) =>
  f.fields.some((x) => x.name === 'action' && x.value === 'send') && f.fields.some((x) => x.type === 'email');
const verifyForm = (f: ReturnType<typeof parseForms>[number]) =>
  f.fields.some((x) => x.name === 'action' && x.value === 'verify');
const linkForm = (f: ReturnType<typeof parseForms>[number]) => f.action.pathname.endsWith(LINK_PATH);

/** A first-party client, and an authorization started in `agent` that reached the sign-in page. */
async function startAuthorization(agent: HttpAgent, c?: TestClient) {
  c ??= await t.createClient({ firstParty: true });
  const config = await t.rp(c);
  const req = await authRequest(config, c);
  const login = expectPage(await agent.walk(req.url), 'the sign-in page', isLoginPage);
  return { c, config, req, login };
}

/** In `agent`: "Email me a sign-in link", the address, "Check your email"; the link from the mail. */
async function askForLink(agent: HttpAgent, login: Page, email: string): Promise<URL> {
  const ask = await follow(agent, login, 'Email me a sign-in link');
  assert.ok(ask.url.searchParams.get('interaction'), 'the authorization rides along');
  const sent = expectPage(await agent.submit(ask, { email }, { form: sendForm }), 'check your email');
  assert.match(sent.html, /Check your email/);
  return linkIn(await nextMail(email, LINK_SUBJECT), LINK_PATH);
}

describe('sign-in by email on the hosted pages', () => {
  test('a link opened in the same browser continues the authorization: ID token with amr otp', async () => {
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { config, req, login } = await startAuthorization(agent);
    const link = await askForLink(agent, login, user.email);
    const page = expectPage(await agent.walk(link), 'the link page');
    assert.match(page.html, /Sign in to/);
    const landing = await agent.submit(page, {}, { form: linkForm });
    const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
    const claims = tokens.claims()!;
    assert.deepEqual(claims.amr, ['otp']);
    assert.equal(claims.email, user.email.toLowerCase());
    // Spent: the page now says the link is dead, and offers a new one.
    const again = expectPage(await agent.walk(link), 'the dead link page');
    assert.equal(again.status, 400);
  });

  test('a link opened in another browser says so; it signs that browser in without the authorization', async () => {
    const user = await t.createUser();
    const asking = new HttpAgent();
    const { login } = await startAuthorization(asking);
    const link = await askForLink(asking, login, user.email);
    const other = new HttpAgent();
    const page = expectPage(await other.walk(link), 'the link page elsewhere');
    assert.match(page.html, /asked for this link in another browser/);
    assert.ok(!parseForms(page).some((f) => f.fields.some((x) => x.name === 'interaction')));
    const landing = expectPage(await other.submit(page, {}, { form: linkForm }), 'signed in here');
    assert.equal(landing.url.pathname, '/login');
    assert.match(landing.html, new RegExp(user.email.toLowerCase().replace(/\./g, '\\.')));
    // The browser that asked is still at its sign-in page: nothing signed it in.
    const still = expectPage(await asking.walk(login.url), 'the sign-in page again', isLoginPage);
    assert.equal(still.status, 200);
  });

  test('CSRF: the link page’s button without its token signs nothing in and spends nothing', async () => {
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { config, req, login } = await startAuthorization(agent);
    const link = await askForLink(agent, login, user.email);
    const page = expectPage(await agent.walk(link), 'the link page');
    const forged = expectPage(
      await agent.submit(page, { csrf_token: 'forged' }, { form: linkForm }),
      'the expired-form page',
    );
    assert.equal(forged.status, 403);
    const landing = await agent.submit(page, {}, { form: linkForm });
    const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
    assert.deepEqual(tokens.claims()!.amr, ['otp']);
  });

  test('a code: asked for on the page, a wrong one is refused, the right one continues the authorization', async () => {
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { config, req, login } = await startAuthorization(agent);
    const ask = await follow(agent, login, 'Sign in with a code');
    const codePage = expectPage(
      await agent.submit(ask, { email: user.email }, { form: sendForm }),
      'the code page',
    );
    assert.match(codePage.html, /emailed it a code/);
    const code = codeIn(await nextMail(user.email, CODE_SUBJECT));
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const refused = expectPage(await agent.submit(codePage, { code: wrong }, { form: verifyForm }), 'again');
    assert.equal(refused.status, 401);
    assert.match(refused.html, /not correct/);
    const landing = await agent.submit(refused, { code }, { form: verifyForm });
    const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
    assert.deepEqual(tokens.claims()!.amr, ['otp']);
  });

  test('an unknown address sees the same pages as an account', async () => {
    const known = await t.createUser();
    const text = async (email: string, label: string) => {
      const agent = new HttpAgent();
      const { login } = await startAuthorization(agent);
      const ask = await follow(agent, login, label);
      const sent = expectPage(await agent.submit(ask, { email }, { form: sendForm }), 'sent');
      const words = sent.html
        .replace(/<input[^>]*>/g, '')
        .replace(email, 'EMAIL')
        .replace(/[?&]interaction=[^"&]+/g, '');
      return { status: sent.status, words };
    };
    for (const label of ['Email me a sign-in link', 'Sign in with a code'])
      assert.deepEqual(await text(known.email, label), await text(uniqueEmail('nobody'), label), label);
  });

  test('MFA applies: after a link, a user with TOTP passes the second step on /mfa, amr otp+mfa', async () => {
    const user = await t.createUser();
    const { secret } = await enrolTotp(t, bearer(user.accessToken));

    const agent = new HttpAgent();
    const { config, req, login } = await startAuthorization(agent);
    const link = await askForLink(agent, login, user.email);
    const page = expectPage(await agent.walk(link), 'the link page');
    const mfa = expectPage(await agent.submit(page, {}, { form: linkForm }), 'the /mfa page');
    assert.ok(mfa.html.includes('name="mfa_token"'), 'the second step is asked for');
    const landing = await agent.submit(
      mfa,
      { code: totpCode(secret, 1) },
      {
        form: (f) => f.fields.some((x) => x.name === 'action' && x.value === 'verify'),
        omit: ['remember_device'],
      },
    );
    const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
    const amr = jose.decodeJwt(tokens.id_token!).amr as string[];
    assert.deepEqual([...amr].sort(), ['mfa', 'otp']);
  });
});

describe('sign-in by email in Chromium', { skip: unlessChromium() }, () => {
  let callbacks: CallbackServer;
  const browser = sharedBrowser();
  before(async () => {
    callbacks = await startCallbackServer();
  });
  after(async () => {
    await browser.close();
    await callbacks?.close();
  });

  test('without JavaScript at 390 and 1280 px: the link, the other device, the code; screenshots', async () => {
    const redirectUri = callbacks.uri();
    const c = await t.createClient({ firstParty: true, redirectUris: [redirectUri] });
    const config = await t.rp(c);
    const files: string[] = [];
    for (const width of [390, 1280]) {
      const user = await t.createUser();
      const context = await (
        await browser.get()
      ).newContext({ javaScriptEnabled: false, viewport: { width, height: 860 } });
      try {
        const page = await context.newPage();
        const req = await authRequest(config, c);
        await page.goto(req.url.href);
        files.push(await screenshot(page, `email-signin-login-${width}`));
        await page.getByRole('link', { name: 'Email me a sign-in link' }).click();
        files.push(await screenshot(page, `email-signin-ask-${width}`));
        await page.getByLabel('Email address').fill(user.email);
        await page.getByRole('button', { name: 'Email me a link' }).click();
        await page.waitForLoadState('load');
        files.push(await screenshot(page, `email-signin-sent-${width}`));
        const link = linkIn(await nextMail(user.email, LINK_SUBJECT), LINK_PATH);

        // The same link in another browser first: it says so (nothing spent by looking).
        const elsewhere = await (
          await browser.get()
        ).newContext({ javaScriptEnabled: false, viewport: { width, height: 860 } });
        const other = await elsewhere.newPage();
        await other.goto(link.href);
        files.push(await screenshot(other, `email-signin-elsewhere-${width}`));
        await elsewhere.close();

        await page.goto(link.href);
        files.push(await screenshot(page, `email-signin-link-${width}`));
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.waitForURL((u) => u.href.startsWith(redirectUri));
        const tokens = await exchange(config, req, callbacks.last(redirectUri)!.url);
        assert.deepEqual(tokens.claims()!.amr, ['otp']);

        // A code, in a fresh browser.
        const fresh = await (
          await browser.get()
        ).newContext({ javaScriptEnabled: false, viewport: { width, height: 860 } });
        try {
          const p = await fresh.newPage();
          const req2 = await authRequest(config, c);
          await p.goto(req2.url.href);
          await p.getByRole('link', { name: 'Sign in with a code' }).click();
          await p.getByLabel('Email address').fill(user.email);
          await p.getByRole('button', { name: 'Email me a code' }).click();
          await p.waitForLoadState('load');
          const code = codeIn(await nextMail(user.email, CODE_SUBJECT));
          await p.getByLabel('The 6-digit code we emailed you').fill('000000');
          await p.getByRole('button', { name: 'Sign in' }).click();
          await p.waitForLoadState('load');
          files.push(await screenshot(p, `email-signin-code-${width}`));
          await p.getByLabel('The 6-digit code we emailed you').fill(code);
          await p.getByRole('button', { name: 'Sign in' }).click();
          await p.waitForURL((u) => u.href.startsWith(redirectUri));
          await exchange(config, req2, callbacks.last(redirectUri)!.url);
        } finally {
          await fresh.close();
        }
      } finally {
        await context.close();
      }
    }
    // An app's link opened on a page: the code to type into the app.
    const user = await t.createUser();
    const verifier = 'v'.repeat(43);
    const challenge = Buffer.from(
      await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)),
    ).toString('base64url');
    await t.post('/v2/auth/magic-link/send', { email: user.email, code_challenge: challenge });
    const appLink = linkIn(await nextMail(user.email, LINK_SUBJECT), LINK_PATH);
    const context = await (
      await browser.get()
    ).newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 860 } });
    try {
      const page = await context.newPage();
      await page.goto(appLink.href);
      files.push(await screenshot(page, 'email-signin-app-link-390'));
      await page.getByRole('button', { name: 'Show my sign-in code' }).click();
      await page.waitForLoadState('load');
      files.push(await screenshot(page, 'email-signin-app-code-390'));
      const code = (await page.locator('code').innerText()).trim();
      const done = await t.post('/v2/auth/magic-link/exchange', { code, code_verifier: verifier });
      assert.equal(done.status, 200, JSON.stringify(done.body));
    } finally {
      await context.close();
    }
    for (const file of files) assert.ok(statSync(file).size > 1000, `${file} is a real image`);
  });
});
