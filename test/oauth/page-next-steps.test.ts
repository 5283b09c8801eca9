// Every hosted page offers a next step, inside and outside an application's flow: signed in without an
// app (who you are, sign out, the start page), consent for the wrong account ("Not you?"), a dead reset or
// verification link (said when the page opens, with a way to get a new one), and the error pages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { screenshot, sharedBrowser, startCallbackServer, unlessChromium } from '../support/browser.js';
import {
  HttpAgent,
  authRequest,
  callbackOf,
  exchange,
  expectPage,
  isConsentPage,
  isLoginPage,
  parseForms,
  startOidcApp,
  type OidcTestApp,
  type Page,
  type TestUser,
} from '../support/oidc.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let t: OidcTestApp;
let smtp: TestSmtpServer;
before(async () => {
  smtp = await startSmtpServer();
  t = await startOidcApp({
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_FROM: 'HelloJohn <no-reply@example.com>',
  });
});
after(async () => {
  await t.close();
  await smtp.stop();
});

const textOf = (page: Page) =>
  page.html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ');

const linksOf = (page: Page) =>
  [...page.html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map(
    (m) => new URL(m[1]!.replace(/&amp;/g, '&'), page.url),
  );

/** The signed-in page: who, a CSRF-protected sign-out form, a link to the start page, and no empty login form. */
function assertSignedInPage(page: Page, email: string): void {
  assert.equal(page.status, 200, textOf(page));
  assert.match(textOf(page), new RegExp(`signed in as ${email.replace(/\./g, '\\.')}`, 'i'));
  assert.equal(isLoginPage(page), false, 'no password field under it');
  const signOut = parseForms(page).find((f) => f.buttons.some((b) => b.value === 'logout'));
  assert.ok(signOut, 'a sign-out button');
  assert.equal(signOut.action.pathname, '/logout');
  assert.ok(
    signOut.fields.some((f) => f.name === 'csrf_token' && f.value),
    'the sign-out form has a CSRF token',
  );
  assert.ok(
    linksOf(page).some((l) => l.pathname === '/'),
    'a link to the start page',
  );
}

async function registerWithoutApp(agent: HttpAgent): Promise<{ email: string; landing: Page }> {
  const form = expectPage(await agent.walk(`${t.base}/register`), 'the register page', isLoginPage);
  const email = `solo.${Date.now()}.${Math.random().toString(36).slice(2)}@example.com`;
  const landing = expectPage(
    await agent.submit(form, { email, password: 'Correct-Horse-Battery-Staple-42', name: 'Solo' }),
    'a page after registering',
  );
  return { email, landing };
}

describe('signed in without an application', () => {
  test('registering shows who is signed in, a sign-out button and the start page: no empty form', async () => {
    const agent = new HttpAgent();
    const { email, landing } = await registerWithoutApp(agent);
    assertSignedInPage(landing, email);
    // Reloading /login shows the same, not a login form.
    assertSignedInPage(expectPage(await agent.walk(`${t.base}/login`), 'the login page'), email);

    // Sign out works from there (CSRF checked), and then /login is a login form again.
    const signOut = parseForms(landing).find((f) => f.buttons.some((b) => b.value === 'logout'))!;
    const forged = await agent.submit(
      landing,
      { csrf_token: 'forged' },
      { button: ['decision', 'logout'], form: (f) => f === signOut || f.action.pathname === '/logout' },
    );
    assert.equal(expectPage(forged, 'a refusal').status, 403);
    const out = expectPage(
      await agent.submit(
        landing,
        {},
        { button: ['decision', 'logout'], form: (f) => f.action.pathname === '/logout' },
      ),
      'the signed-out page',
    );
    assert.match(textOf(out), /signed out/i);
    assert.ok(isLoginPage(expectPage(await agent.walk(`${t.base}/login`), 'the login page')));
  });

  test('signing in without an app, and "Stay signed in" at sign-out, land on the signed-in page', async () => {
    const user = await t.createUser();
    const agent = new HttpAgent();
    const form = expectPage(await agent.walk(`${t.base}/login`), 'the login page', isLoginPage);
    const landing = expectPage(
      await agent.submit(form, { email: user.email, password: user.password }),
      'a page after signing in',
    );
    assertSignedInPage(landing, user.email);
    const confirm = expectPage(await agent.walk(`${t.base}/logout`), 'the sign-out confirmation');
    const stay = expectPage(
      await agent.submit(confirm, {}, { button: ['decision', 'cancel'] }),
      'the page after "Stay signed in"',
    );
    assertSignedInPage(stay, user.email);
  });
});

describe('consent: not you?', () => {
  test('"Use another account" ends the session and returns to the login of the same request', async () => {
    const c = await t.createClient({ name: 'Third Party App' });
    const config = await t.rp(c);
    const alice = await t.createUser('default', 'Alice');
    const bob = await t.createUser('default', 'Bob');
    const agent = new HttpAgent();
    const req = await authRequest(config, c);
    const login = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
    const interaction = login.url.searchParams.get('interaction');
    const consent = expectPage(
      await agent.submit(login, { email: alice.email, password: alice.password }),
      'the consent page',
      isConsentPage,
    );
    assert.match(textOf(consent), new RegExp(alice.email.replace(/\./g, '\\.')));
    assert.ok(
      parseForms(consent).some((f) => f.buttons.some((b) => b.value === 'switch_account')),
      'a "Not you? Use another account" button',
    );
    assert.match(textOf(consent), /not you\?/i);

    // A forged CSRF token changes nothing.
    const forged = await agent.submit(
      consent,
      { csrf_token: 'forged' },
      { button: ['decision', 'switch_account'] },
    );
    assert.equal(expectPage(forged, 'a refusal').status, 403);

    const again = expectPage(
      await agent.submit(consent, {}, { button: ['decision', 'switch_account'] }),
      'the login page of the same request',
      isLoginPage,
    );
    assert.equal(again.url.pathname, '/login');
    assert.equal(again.url.searchParams.get('interaction'), interaction, 'the same authorization request');

    // Alice is signed out: Bob signs in and is asked for his own consent; the client gets Bob.
    const bobConsent = expectPage(
      await agent.submit(again, { email: bob.email, password: bob.password }),
      "Bob's consent page",
      isConsentPage,
    );
    assert.match(textOf(bobConsent), new RegExp(bob.email.replace(/\./g, '\\.')));
    const callback = callbackOf(
      await agent.submit(bobConsent, {}, { button: ['decision', 'allow'] }),
      c.redirectUri,
    );
    const tokens = await exchange(config, req, callback);
    assert.equal(tokens.claims()!.email, bob.email);
  });
});

/** A reset link mailed to `user`. */
async function resetLink(user: TestUser): Promise<URL> {
  const sent = Date.now();
  await t.post('/v2/auth/forgot', { email: user.email });
  const mail = await smtp.waitFor((m) => m.to.includes(user.email) && /reset/i.test(m.subject));
  void sent;
  const match = /https?:\/\/[^\s"<>]+\/reset-password\?token=[A-Za-z0-9_-]+/.exec(mail.text);
  assert.ok(match, mail.text);
  return new URL(match[0]);
}

function assertDeadLinkPage(page: Page, what: string): void {
  assert.ok(page.status >= 400 && page.status < 500, `${what}: status ${page.status}`);
  assert.match(textOf(page), /expired or was already used/i, what);
  assert.equal(isLoginPage(page), false, `${what}: no password form`);
  assert.ok(
    linksOf(page).some((l) => l.pathname === '/forgot'),
    `${what}: a way to request a new link`,
  );
}

describe('reset and verification links', () => {
  test('a bad, missing or used reset link says so when opened, with a way to ask for a new one', async () => {
    const agent = new HttpAgent();
    for (const query of ['?token=' + 'A'.repeat(43), '', '?token=short', '?token=' + 'x'.repeat(500)]) {
      const page = expectPage(await agent.walk(`${t.base}/reset-password${query}`), 'a page');
      assertDeadLinkPage(page, `reset-password${query.slice(0, 20)}`);
    }

    // A live link: opening it (twice) spends nothing; the form works; afterwards the link is dead.
    const user = await t.createUser();
    const link = await resetLink(user);
    expectPage(await agent.walk(link), 'the reset form', isLoginPage);
    const form = expectPage(await agent.walk(link), 'the reset form again', isLoginPage);
    const done = expectPage(
      await agent.submit(form, {
        password: 'A-New-Strong-Passphrase-9',
        confirm: 'A-New-Strong-Passphrase-9',
      }),
      'the done page',
    );
    assert.equal(done.status, 200);
    assert.match(textOf(done), /password has been changed/i);
    assertDeadLinkPage(expectPage(await agent.walk(link), 'the used link'), 'used link');
    // The form of a link that died while it was open answers the same, not the form with an error.
    const stale = expectPage(
      await agent.submit(form, {
        password: 'Another-Strong-Passphrase-8',
        confirm: 'Another-Strong-Passphrase-8',
      }),
      'the stale form',
    );
    assertDeadLinkPage(stale, 'stale form');
  });

  test('the verification link page points on: sign in when it worked, a way on when it did not', async () => {
    const email = `verify.${Date.now()}@example.com`;
    await t.post('/v2/auth/register', { email, password: 'Correct-Horse-Battery-Staple-42' });
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /verif/i.test(m.subject));
    const link = new URL(
      /https?:\/\/[^\s"<>]+\/v2\/auth\/verify-email\?token=[A-Za-z0-9_-]+/.exec(mail.text)![0],
    );
    const agent = new HttpAgent();
    const ok = expectPage(await agent.walk(link), 'the verified page');
    assert.equal(ok.status, 200);
    assert.ok(
      linksOf(ok).some((l) => l.pathname === '/login'),
      'a link to sign in',
    );
    const used = expectPage(await agent.walk(link), 'the used link page');
    assert.equal(used.status, 400);
    assert.match(textOf(used), /expired or was already used/i);
    assert.ok(
      linksOf(used).some((l) => l.pathname === '/login'),
      'a link to sign in',
    );
  });
});

describe('other dead ends', () => {
  test('the forgot page of an app flow leads back to the same sign-in', async () => {
    const c = await t.createClient({ firstParty: true });
    const agent = new HttpAgent();
    const req = await authRequest(await t.rp(c), c);
    const login = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
    const interaction = login.url.searchParams.get('interaction')!;
    const forgotLink = linksOf(login).find((l) => l.pathname === '/forgot')!;
    const forgot = expectPage(await agent.walk(forgotLink), 'the forgot page');
    const back = linksOf(forgot).find((l) => l.pathname === '/login');
    assert.equal(back?.searchParams.get('interaction'), interaction, 'back to the same sign-in');
    const sent = expectPage(await agent.submit(forgot, { email: 'nobody@example.com' }), 'the sent page');
    const backAfter = linksOf(sent).find((l) => l.pathname === '/login');
    assert.equal(backAfter?.searchParams.get('interaction'), interaction, 'still the same sign-in');
  });

  test('an expired sign-in request and an expired form point to the sign-in page', async () => {
    const agent = new HttpAgent();
    for (const path of ['/consent?interaction=gone', '/login?interaction=gone']) {
      const page = expectPage(await agent.walk(`${t.base}${path}`), 'an error page');
      assert.equal(page.status, 400);
      assert.ok(
        linksOf(page).some((l) => l.pathname === '/login' && !l.search),
        `${path}: a link to sign in`,
      );
    }
  });
});

describe('next steps in Chromium', { skip: unlessChromium() }, () => {
  const browser = sharedBrowser();
  after(() => browser.close());

  test('consent "Not you?" works without JavaScript; screenshots of the new pages at 390 and 1280 px', async () => {
    const callbacks = await startCallbackServer();
    try {
      const redirectUri = callbacks.uri();
      const c = await t.createClient({ redirectUris: [redirectUri], name: 'Screenshot Demo App' });
      const config = await t.rp(c);
      const alice = await t.createUser('default', 'Alice');
      const bob = await t.createUser('default', 'Bob');
      for (const width of [390, 1280]) {
        const context = await (
          await browser.get()
        ).newContext({ viewport: { width, height: 800 }, javaScriptEnabled: false });
        try {
          const page = await context.newPage();
          const req = await authRequest(config, c);
          await page.goto(req.url.href);
          await page.fill('input[name="email"]', alice.email);
          await page.fill('input[name="password"]', alice.password);
          await page.click('form:has(input[name="password"]) button[type="submit"]');
          await page.waitForSelector('button[value="switch_account"]');
          await screenshot(page, `consent-not-you-${width}`);
          await page.click('button[value="switch_account"]');
          await page.waitForSelector('input[name="password"]');
          assert.equal(new URL(page.url()).pathname, '/login');
          await page.fill('input[name="email"]', bob.email);
          await page.fill('input[name="password"]', bob.password);
          await page.click('form:has(input[name="password"]) button[type="submit"]');
          assert.match(await page.locator('body').innerText(), new RegExp(bob.email.replace(/\./g, '\\.')));

          // Signed in without an app: the signed-in page.
          await page.goto(`${t.base}/login`);
          assert.match(await page.locator('body').innerText(), /signed in as/i);
          await screenshot(page, `signed-in-${width}`);
          // A dead reset link.
          await page.goto(`${t.base}/reset-password?token=${'A'.repeat(43)}`);
          assert.match(await page.locator('body').innerText(), /expired or was already used/i);
          await screenshot(page, `reset-link-expired-${width}`);
          await page.getByRole('link', { name: /new link/i }).click();
          assert.equal(new URL(page.url()).pathname, '/forgot');
        } finally {
          await context.close();
        }
      }
    } finally {
      await callbacks.close();
    }
  });
});
