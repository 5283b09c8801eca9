// The hosted login and consent pages: CSRF protection, usable without JavaScript, consent remembered and
// refusable, login_hint, not frameable; screenshots of the login and consent pages for people to look at.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  authorizeInBrowser,
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../support/browser.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  exchange,
  expectPage,
  expectRedirect,
  isConsentPage,
  isLoginPage,
  parseForms,
  startOidcApp,
  type OidcTestApp,
  type Page,
} from '../support/oidc.js';

// One provider for the file; each test makes its own clients and users.
let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(() => t.close());

describe('hosted pages over HTTP', () => {
  /** The login page of a fresh authorization, reached with a cookie jar. */
  async function loginPage() {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const req = await authRequest(config, c);
    const page = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
    assert.match(page.url.pathname, /\/login$/);
    assert.ok(page.url.searchParams.get('interaction'), 'the login page carries the interaction');
    const csrf = parseForms(page)
      .flatMap((f) => f.fields)
      .find((f) => f.name === 'csrf_token');
    assert.ok(csrf?.value, 'a csrf_token in the form');
    return { c, config, user, agent, req, page, csrf: csrf.value };
  }

  /** Whether `agent` holds a session: prompt=none gives a code rather than login_required. */
  async function hasSession(agent: HttpAgent, ctx: Awaited<ReturnType<typeof loginPage>>) {
    const silent = await authRequest(ctx.config, ctx.c, { prompt: 'none' });
    const url = expectRedirect(await agent.walk(silent.url), ctx.c.redirectUri);
    return url.searchParams.has('code');
  }

  test('a login post without the CSRF token is rejected and signs no one in', async () => {
    const ctx = await loginPage();
    const landing = await ctx.agent.submit(
      ctx.page,
      { email: ctx.user.email, password: ctx.user.password },
      { omit: ['csrf_token'] },
    );
    const page = expectPage(landing, 'a 403 page');
    assert.equal(page.status, 403);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(await hasSession(ctx.agent, ctx), false, 'no session was created');

    // The same form with its token works (so the refusal above was about the token).
    const fresh = expectPage(await ctx.agent.walk(ctx.req.url), 'the login page', isLoginPage);
    const ok = await ctx.agent.submit(fresh, { email: ctx.user.email, password: ctx.user.password });
    const callback = expectRedirect(ok, ctx.c.redirectUri);
    assert.ok(callback.searchParams.get('code'));
  });

  test('a login post with a wrong or foreign CSRF token is rejected and signs no one in', async () => {
    const ctx = await loginPage();
    const flipped = ctx.csrf.slice(0, -2) + (ctx.csrf.endsWith('AA') ? 'BB' : 'AA');
    for (const token of [flipped, 'x', '']) {
      const landing = await ctx.agent.submit(ctx.page, {
        email: ctx.user.email,
        password: ctx.user.password,
        csrf_token: token,
      });
      const page = expectPage(landing, `a 403 page for csrf_token=${token}`);
      assert.equal(page.status, 403, `csrf_token=${JSON.stringify(token)}`);
    }
    // A token from another browser's page (valid there, not for this cookie jar).
    const other = await loginPage();
    const foreign = await ctx.agent.submit(ctx.page, {
      email: ctx.user.email,
      password: ctx.user.password,
      csrf_token: other.csrf,
    });
    assert.equal(expectPage(foreign, 'a 403 page for a foreign token').status, 403);
    // The right token from a jar without the matching cookie (a cross-site post): rejected too.
    const stranger = new HttpAgent();
    const crossSite = await stranger.submit(ctx.page, { email: ctx.user.email, password: ctx.user.password });
    // (403 for the token, or 400 when the interaction cookie is missing too: either way a page, no session.)
    assert.ok([400, 403].includes(expectPage(crossSite, 'an error page without the cookie').status));
    assert.equal(await hasSession(ctx.agent, ctx), false, 'no session was created');
  });

  test('a wrong password shows the login page again with an error and signs no one in', async () => {
    const ctx = await loginPage();
    const landing = await ctx.agent.submit(ctx.page, {
      email: ctx.user.email,
      password: 'Wrong-Password-123',
    });
    const page = expectPage(landing, 'the login page again', isLoginPage);
    assert.equal(page.status, 401);
    assert.match(page.html, /role="alert"/, 'the error is announced');
    assert.equal(await hasSession(ctx.agent, ctx), false);
  });

  test('a new user registers from the login page and the authorization continues', async () => {
    const ctx = await loginPage();
    const href = /href="([^"]*\/register\?interaction=[^"]+)"/.exec(ctx.page.html)?.[1];
    assert.ok(href, 'the login page links to the register page with the interaction');
    const form = expectPage(
      await ctx.agent.walk(new URL(href.replace(/&amp;/g, '&'), ctx.page.url)),
      'the register page',
      (p) => parseForms(p).some((f) => f.fields.some((x) => x.name === 'password')),
    );
    const email = `new.${Date.now()}@example.com`;
    const landing = await ctx.agent.submit(form, { email, password: ctx.user.password, name: 'New Person' });
    const tokens = await exchange(ctx.config, ctx.req, expectRedirect(landing, ctx.c.redirectUri));
    assert.equal(tokens.claims()!.email, email);
    assert.equal(tokens.claims()!.name, 'New Person');
    // The forgot-password page is there too, with its own CSRF-protected form.
    const forgot = expectPage(await ctx.agent.walk(`${ctx.c.issuer}/forgot`), 'the forgot page');
    assert.equal(forgot.status, 200);
    assert.ok(parseForms(forgot).some((f) => f.fields.some((x) => x.name === 'csrf_token')));
  });

  test('login_hint pre-fills the email address', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const hint = 'someone@example.com';
    const req = await authRequest(config, c, { login_hint: hint });
    const page = expectPage(await new HttpAgent().walk(req.url), 'the login page', isLoginPage);
    const email = parseForms(page)
      .flatMap((f) => f.fields)
      .find((f) => f.name === 'email');
    assert.equal(email?.value, hint);
  });

  test('hosted pages cannot be framed and are not cached', async () => {
    const { page } = await loginPage();
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(page.headers.get('content-security-policy') ?? '', /form-action 'self'/);
    assert.match(page.headers.get('cache-control') ?? '', /no-store/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  });

  test('consent is asked once, remembered per client and scopes, and can be refused', async () => {
    const c = await t.createClient();
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const seen: Page[] = [];
    const track = { onPage: (p: Page) => void seen.push(p) };

    // Refused: access_denied at the client, with state and iss.
    const denied = await authRequest(config, c);
    const deniedUrl = callbackOf(
      await authorize(agent, denied.url, user, { consent: 'deny', ...track }),
      c.redirectUri,
    );
    assert.equal(deniedUrl.searchParams.get('error'), 'access_denied');
    assert.equal(deniedUrl.searchParams.get('state'), denied.state);
    assert.equal(deniedUrl.searchParams.get('iss'), c.issuer);
    assert.ok(seen.some(isConsentPage), 'the consent page was shown');

    // Allowed once...
    seen.length = 0;
    const first = await authRequest(config, c, { scope: 'openid email' });
    await exchange(
      config,
      first,
      callbackOf(await authorize(agent, first.url, user, { consent: 'allow', ...track }), c.redirectUri),
    );
    assert.equal(seen.filter(isConsentPage).length, 1);

    // ...remembered for the same scopes...
    seen.length = 0;
    const again = await authRequest(config, c, { scope: 'openid email' });
    await exchange(
      config,
      again,
      callbackOf(await authorize(agent, again.url, user, { ...track }), c.redirectUri),
    );
    assert.equal(seen.length, 0, 'no page at all the second time');

    // ...asked again for more scopes, and when the client asks with prompt=consent.
    seen.length = 0;
    const more = await authRequest(config, c, { scope: 'openid email profile' });
    await authorize(agent, more.url, user, { consent: 'allow', ...track });
    assert.equal(seen.filter(isConsentPage).length, 1, 'new scopes need consent');
    seen.length = 0;
    const forced = await authRequest(config, c, { scope: 'openid email', prompt: 'consent' });
    await authorize(agent, forced.url, user, { consent: 'allow', ...track });
    assert.equal(seen.filter(isConsentPage).length, 1, 'prompt=consent asks again');

    // prompt=none cannot answer a consent question: consent_required.
    const other = await t.createClient({ redirectUris: [c.redirectUri] });
    const silent = await authRequest(await t.rp(other), other, { prompt: 'none' });
    const url = expectRedirect(await agent.walk(silent.url), other.redirectUri);
    assert.equal(url.searchParams.get('error'), 'consent_required');
  });
});

describe('hosted pages in Chromium', { skip: unlessChromium() }, () => {
  let callbacks: CallbackServer;
  const browser = sharedBrowser();
  before(async () => {
    callbacks = await startCallbackServer();
  });
  after(async () => {
    await browser.close();
    await callbacks?.close();
  });

  test('the login and consent pages work in Chromium with JavaScript disabled', async () => {
    const redirectUri = callbacks.uri();
    const c = await t.createClient({ redirectUris: [redirectUri] });
    const user = await t.createUser();
    const config = await t.rp(c);
    const context = await (await browser.get()).newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      const req = await authRequest(config, c);
      const { callback, pagesSeen } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user, {
        consent: 'allow',
      });
      assert.deepEqual(pagesSeen, ['login', 'consent']);
      const tokens = await exchange(config, req, callback);
      assert.equal(tokens.claims()!.email, user.email);
    } finally {
      await context.close();
    }
  });

  test('screenshots of the login and consent pages are written to test-results/screenshots', async () => {
    const redirectUri = callbacks.uri();
    const c = await t.createClient({ redirectUris: [redirectUri], name: 'Screenshot Demo App' });
    const user = await t.createUser();
    const config = await t.rp(c);
    const context = await (await browser.get()).newContext({ viewport: { width: 900, height: 800 } });
    try {
      const page = await context.newPage();
      const req = await authRequest(config, c);
      const files: string[] = [];
      const { callback } = await authorizeInBrowser(page, req.url, redirectUri, callbacks, user, {
        consent: 'allow',
        onPage: async (p, kind) => {
          if (kind === 'login') {
            // Accessible labels: the fields are reachable by their label text.
            assert.equal(await p.getByLabel(/email/i).count(), 1, 'the email field has a label');
            assert.equal(await p.getByLabel(/password/i).count(), 1, 'the password field has a label');
            assert.match((await p.locator('button[type="submit"]').first().innerText()).trim(), /sign in/i);
          } else {
            assert.match(
              await p.locator('body').innerText(),
              /Screenshot Demo App/,
              'the consent page names the client',
            );
            assert.equal(await p.locator('button[name="decision"][value="deny"]').count(), 1);
          }
          files.push(await screenshot(p, `oauth-${kind}`));
        },
      });
      await exchange(config, req, callback);
      assert.equal(files.length, 2, 'both pages were shown');
      for (const file of files) assert.ok(statSync(file).size > 1000, `${file} is a real image`);
    } finally {
      await context.close();
    }
  });
});
