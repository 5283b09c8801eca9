// What docs/oauth.md (#single-page-apps-and-client-libraries) tells SPA operators about silent renew in a
// hidden iframe: with SESSION_SAMESITE=None on an https BASE_URL the session cookie goes out Secure and
// SameSite=None (so a browser may send it in a cross-site iframe), and prompt=none answers with a redirect,
// never a page (every page refuses to be framed). SameSite=None over http is refused at startup.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { HttpAgent, expectPage, startOidcApp, type OidcTestApp } from '../support/oidc.js';

describe('silent renew settings (SESSION_SAMESITE=None)', () => {
  let t: OidcTestApp;
  before(async () => {
    // The public URL is https (a TLS-terminating proxy in front); the test talks to the plain listener.
    t = await startOidcApp({ BASE_URL: 'https://id.example.test', SESSION_SAMESITE: 'None' });
  });
  after(() => t?.close());

  test('the session cookie is __Host-, Secure, SameSite=None; prompt=none is a redirect, not a page', async () => {
    const user = await t.createUser();
    const agent = new HttpAgent();
    const form = expectPage(await agent.walk(`${t.base}/login`), 'the login page');
    // Signing in answers with a redirect to the signed-in page; the cookie is set on the way.
    expectPage(
      await agent.submit(form, { email: user.email, password: user.password }),
      'the signed-in page',
    );
    const cookie = agent.setCookies.find((c) => c.includes('hj_session='));
    assert.ok(cookie, `a session cookie: ${agent.setCookies.join(' | ')}`);
    assert.match(cookie, /^__Host-hj_session=/);
    assert.match(cookie, /; Secure/i);
    assert.match(cookie, /; SameSite=None/i);
    assert.match(cookie, /; HttpOnly/i);

    const c = await t.createClient({ type: 'public', firstParty: true });
    // The RP's discovery names the https issuer, which this test cannot reach: the request by hand.
    const url = new URL(`${t.base}/oauth2/authorize`);
    for (const [k, v] of Object.entries({
      client_id: c.clientId,
      redirect_uri: c.redirectUri,
      response_type: 'code',
      scope: 'openid',
      prompt: 'none',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v);
    const response = await agent.request(url);
    assert.equal(response.status, 303);
    assert.ok(new URL(response.headers.get('location')!).searchParams.get('code'), 'a code, silently');
  });

  test('SameSite=None without Secure cookies is refused at startup', () => {
    assert.throws(
      () => loadConfig({ BASE_URL: 'http://localhost:8080', SESSION_SAMESITE: 'None' }),
      /SESSION_SAMESITE/,
    );
  });
});
