// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): id_token_hint, exact post_logout_redirect_uri,
// state, the confirmation page without a hint, and the session really ending.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  describePage,
  expectPage,
  expectRedirect,
  parseForms,
  signIn,
  startOidcApp,
  type OidcTestApp,
  type TestClient,
} from '../support/oidc.js';

describe('RP-initiated logout', () => {
  let t: OidcTestApp;
  before(async () => {
    t = await startOidcApp();
  });
  after(() => t.close());

  async function signedIn(options: { postLogoutRedirectUris?: string[] } = {}) {
    const c = await t.createClient({ firstParty: true, ...options });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const { tokens } = await signIn(agent, config, c, user);
    assert.equal(await sessionOf(agent, config, c), 'code', 'signed in');
    return { c, config, user, agent, idToken: tokens.id_token! };
  }

  /** What prompt=none answers for this browser: 'code' with a session, the error otherwise. */
  async function sessionOf(agent: HttpAgent, config: client.Configuration, c: TestClient) {
    const req = await authRequest(config, c, { prompt: 'none' });
    const url = expectRedirect(await agent.walk(req.url), c.redirectUri);
    return url.searchParams.has('code') ? 'code' : url.searchParams.get('error');
  }

  test('logout with id_token_hint ends the session and returns to the registered URI with the state', async () => {
    const { c, config, agent, idToken } = await signedIn();
    const target = c.postLogoutRedirectUris[0]!;
    const cookiesBefore = agent.jar.snapshot();
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: idToken,
      post_logout_redirect_uri: target,
      state: 'see-you',
    });
    const back = expectRedirect(await agent.walk(url), target);
    assert.equal(back.searchParams.get('state'), 'see-you');
    assert.equal(await sessionOf(agent, config, c), 'login_required', 'prompt=none after logout');
    // Ended at the server, not just forgotten by the browser: the old session cookie no longer works.
    agent.jar.restore(cookiesBefore);
    assert.equal(await sessionOf(agent, config, c), 'login_required', 'the old session cookie is dead');

    // POST works the same (the spec allows both).
    const again = await signedIn();
    const posted = await again.agent.walk(`${again.c.issuer}/oauth2/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        id_token_hint: again.idToken,
        post_logout_redirect_uri: again.c.postLogoutRedirectUris[0]!,
        state: 's2',
      }).toString(),
    });
    assert.equal(expectRedirect(posted, again.c.postLogoutRedirectUris[0]!).searchParams.get('state'), 's2');
    assert.equal(await sessionOf(again.agent, again.config, again.c), 'login_required');
  });

  test('logout without id_token_hint asks for confirmation first', async () => {
    const { c, config, agent } = await signedIn();
    const landing = await agent.walk(`${c.issuer}/oauth2/logout`);
    const page = expectPage(landing, 'a confirmation page');
    assert.equal(page.status, 200);
    const form = parseForms(page).find((f) =>
      f.buttons.some((b) => b.name === 'decision' && b.value === 'logout'),
    );
    assert.ok(form, `a logout button: ${describePage(landing)}`);
    assert.equal(await sessionOf(agent, config, c), 'code', 'showing the page does not sign out');

    const confirmed = await agent.submit(
      page,
      {},
      {
        button: ['decision', 'logout'],
        form: (f) => f.buttons.some((b) => b.name === 'decision' && b.value === 'logout'),
      },
    );
    if (confirmed.kind === 'redirect')
      assert.equal(confirmed.url.origin, t.base, 'no redirect to a client without a hint');
    assert.equal(await sessionOf(agent, config, c), 'login_required', 'confirmed: signed out');
  });

  test('an unregistered post_logout_redirect_uri is never redirected to', async () => {
    const { c, agent, idToken } = await signedIn();
    const registered = c.postLogoutRedirectUris[0]!;
    for (const uri of [
      'https://attacker.example/bye',
      `${registered}/x`,
      `${registered}?a=1`,
      c.redirectUri,
    ]) {
      const url = new URL(`${c.issuer}/oauth2/logout`);
      url.searchParams.set('id_token_hint', idToken);
      url.searchParams.set('post_logout_redirect_uri', uri);
      url.searchParams.set('state', 'nope');
      const landing = await agent.walk(url);
      assert.ok(
        landing.kind === 'page' || landing.url.origin === t.base,
        `no redirect to ${uri}: got ${describePage(landing)}`,
      );
    }
    // A post_logout_redirect_uri without an id_token_hint (no client to check it against): no redirect either.
    const noHint = await agent.walk(
      `${c.issuer}/oauth2/logout?post_logout_redirect_uri=${encodeURIComponent(registered)}`,
    );
    assert.ok(noHint.kind === 'page' || noHint.url.origin === t.base, describePage(noHint));
  });

  test('an id_token_hint from another tenant or a forged one is not trusted', async () => {
    const { c, agent, config } = await signedIn();
    await t.createTenant('elsewhere', 'Elsewhere');
    const foreign = await t.createClient({ tenant: 'elsewhere', firstParty: true });
    const foreignUser = await t.createUser('elsewhere');
    const { tokens } = await signIn(new HttpAgent(), await t.rp(foreign), foreign, foreignUser);
    const url = new URL(`${c.issuer}/oauth2/logout`);
    url.searchParams.set('id_token_hint', tokens.id_token!);
    url.searchParams.set('post_logout_redirect_uri', foreign.postLogoutRedirectUris[0]!);
    const landing = await agent.walk(url);
    assert.ok(landing.kind === 'page' || landing.url.origin === t.base, describePage(landing));
    assert.equal(
      await sessionOf(agent, config, c),
      'code',
      'a foreign hint does not sign the user out silently',
    );
  });
});
