// The negative cases of the authorization and token endpoints, one rule per test, and tenant isolation,
// driven through raw HTTP and the hosted pages (no Chromium needed: the rules are about redirects, codes
// and tokens).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import {
  HttpAgent,
  authRequest,
  authorize,
  basic,
  callbackOf,
  exchange,
  expectPage,
  expectRedirect,
  introspect,
  isLoginPage,
  oauthError,
  pkce,
  postForm,
  rawAuthorizeUrl,
  signIn,
  sleep,
  startOidcApp,
  tokenRequest,
  userinfo,
  type OidcTestApp,
  type TestClient,
} from '../support/oidc.js';

/** An authorization error returned to the client: its parameters, after checking `iss` and `state`. */
function errorAt(landing: Awaited<ReturnType<HttpAgent['walk']>>, c: TestClient, state: string | null) {
  const url = expectRedirect(landing, c.redirectUri);
  assert.equal(url.searchParams.get('code'), null, 'no code alongside an error');
  assert.equal(url.searchParams.get('iss'), c.issuer, 'the error response carries iss (RFC 9207)');
  assert.equal(url.searchParams.get('state'), state, 'the state is echoed');
  return { error: url.searchParams.get('error'), description: url.searchParams.get('error_description') };
}

async function codeFor(t: OidcTestApp, c: TestClient, agent = new HttpAgent()) {
  const config = await t.rp(c);
  const user = await t.createUser();
  const req = await authRequest(config, c);
  const callback = callbackOf(await authorize(agent, req.url, user, { consent: 'allow' }), req.redirectUri);
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code in ${callback.href}`);
  return { config, user, req, callback, code, agent };
}

/** The code exchange of `req` with its own redirect URI and verifier. */
function redeem(c: TestClient, req: { redirectUri: string; verifier: string }, code: string) {
  return tokenRequest(c, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: req.redirectUri,
    code_verifier: req.verifier,
  });
}

// One provider for the whole file (each test makes its own clients and users), and one with a one-second
// code lifetime (the default is 60 s) so the expiry test need not wait a minute.
let t: OidcTestApp;
let shortCodes: OidcTestApp;
before(async () => {
  [t, shortCodes] = await Promise.all([startOidcApp(), startOidcApp({ AUTH_CODE_TTL: '1s' })]);
});
after(async () => {
  await Promise.all([t?.close(), shortCodes?.close()]);
});

describe('authorization endpoint: refusals', () => {
  test('an unregistered or modified redirect URI gets an error page, never a redirect', async () => {
    const c = await t.createClient();
    const { challenge } = await pkce();
    const params = (redirectUri: string, clientId = c.clientId) => ({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirectUri,
      state: 'st',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });

    // The registered URI is accepted: the browser goes on to the provider's login page.
    const ok = await fetch(rawAuthorizeUrl(c.issuer, params(c.redirectUri)), { redirect: 'manual' });
    await ok.body?.cancel();
    assert.ok(ok.status >= 300 && ok.status < 400, `the registered redirect URI is accepted (${ok.status})`);
    assert.equal(
      new URL(ok.headers.get('location')!, c.issuer).origin,
      t.base,
      'to the provider, not the client',
    );

    const registered = new URL(c.redirectUri);
    const variants = [
      'https://attacker.example/cb',
      `${c.redirectUri}/extra`,
      `${c.redirectUri}/`,
      `${c.redirectUri}?next=1`,
      `${c.redirectUri}#frag`,
      c.redirectUri.toUpperCase(),
      c.redirectUri.replace('127.0.0.1', 'localhost'),
      `${registered.protocol}//${registered.hostname}:${Number(registered.port) + 1}${registered.pathname}`,
      c.redirectUri.replace('http:', 'https:'),
      c.redirectUri.slice(0, -1),
    ];
    for (const uri of variants) {
      const response = await fetch(rawAuthorizeUrl(c.issuer, params(uri)), { redirect: 'manual' });
      const body = await response.text();
      assert.equal(response.headers.get('location'), null, `no redirect for ${uri}`);
      assert.equal(response.status, 400, `400 for ${uri}`);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/, `an HTML error page for ${uri}`);
      assert.doesNotMatch(body, /http-equiv=["']?refresh/i, 'no meta refresh either');
    }
    // Without any redirect_uri (OIDC requires it), and for an unknown client: the same page.
    const { redirect_uri: _omitted, ...noRedirect } = params(c.redirectUri);
    for (const p of [noRedirect, params(c.redirectUri, 'no-such-client')]) {
      const response = await fetch(rawAuthorizeUrl(c.issuer, p), { redirect: 'manual' });
      await response.body?.cancel();
      assert.equal(response.headers.get('location'), null, `no redirect for ${JSON.stringify(p)}`);
      assert.equal(response.status, 400);
    }
  });

  test('a request without response_type goes back to the client as invalid_request', async () => {
    const c = await t.createClient();
    const { challenge } = await pkce();
    const base = {
      client_id: c.clientId,
      scope: 'openid',
      redirect_uri: c.redirectUri,
      state: 'no-rt',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const missing = await new HttpAgent().walk(rawAuthorizeUrl(c.issuer, base));
    assert.equal(errorAt(missing, c, 'no-rt').error, 'invalid_request');

    // The implicit and hybrid flows are not offered.
    for (const responseType of ['token', 'id_token', 'code id_token']) {
      const other = await new HttpAgent().walk(
        rawAuthorizeUrl(c.issuer, { ...base, state: 'rt', response_type: responseType }),
      );
      assert.equal(errorAt(other, c, 'rt').error, 'unsupported_response_type', responseType);
    }
  });

  test('plain PKCE is refused', async () => {
    const c = await t.createClient({ type: 'public' });
    const { verifier } = await pkce();
    const landing = await new HttpAgent().walk(
      rawAuthorizeUrl(c.issuer, {
        client_id: c.clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: c.redirectUri,
        state: 'plain',
        code_challenge: verifier,
        code_challenge_method: 'plain',
      }),
    );
    assert.equal(errorAt(landing, c, 'plain').error, 'invalid_request');
  });

  test('a public client without PKCE is refused', async () => {
    const c = await t.createClient({ type: 'public' });
    const landing = await new HttpAgent().walk(
      rawAuthorizeUrl(c.issuer, {
        client_id: c.clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: c.redirectUri,
        state: 'nopkce',
        nonce: 'n',
      }),
    );
    assert.equal(errorAt(landing, c, 'nopkce').error, 'invalid_request');
  });

  test('prompt=none without a session answers login_required', async () => {
    const c = await t.createClient();
    const config = await t.rp(c);
    const req = await authRequest(config, c, { prompt: 'none' });
    const landing = await new HttpAgent().walk(req.url);
    assert.equal(errorAt(landing, c, req.state).error, 'login_required');
    // openid-client, checking iss and state, reports the same.
    assert.equal(
      (await oauthError(exchange(config, req, expectRedirect(landing, c.redirectUri)))).error,
      'login_required',
    );
  });
});

describe('authorization endpoint: sessions, prompt, max_age, id_token_hint', () => {
  test('prompt=login asks for the password again even with a session', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const first = await signIn(agent, config, c, user);

    // The session is there: prompt=none succeeds without a page.
    const silent = await authRequest(config, c, { prompt: 'none' });
    const silentTokens = await exchange(
      config,
      silent,
      callbackOf(await agent.walk(silent.url), c.redirectUri),
    );
    assert.equal(silentTokens.claims()!.auth_time, first.claims.auth_time, 'a silent login keeps auth_time');

    await sleep(1100);
    const req = await authRequest(config, c, { prompt: 'login' });
    const landing = await agent.walk(req.url);
    expectPage(landing, 'the login page despite the session', isLoginPage);
    const tokens = await exchange(
      config,
      req,
      callbackOf(await authorize(agent, req.url, user), c.redirectUri),
    );
    const claims = tokens.claims()!;
    assert.equal(claims.sub, first.claims.sub);
    assert.ok(claims.auth_time! > first.claims.auth_time!, 'auth_time is the new login');
  });

  test('max_age=1 after 2 s forces a new login and a later auth_time', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const user = await t.createUser();
    const agent = new HttpAgent();
    const first = await signIn(agent, config, c, user);

    // Within max_age the session is enough.
    const fresh = await authRequest(config, c, { max_age: '60' });
    await exchange(config, fresh, callbackOf(await agent.walk(fresh.url), c.redirectUri), { maxAge: 60 });

    await sleep(2100);
    // prompt=none cannot satisfy max_age without a login...
    const silent = await authRequest(config, c, { max_age: '1', prompt: 'none' });
    assert.equal(errorAt(await agent.walk(silent.url), c, silent.state).error, 'login_required');
    // ...and without it the login page shows despite the session.
    const req = await authRequest(config, c, { max_age: '1' });
    expectPage(
      await agent.walk(req.url),
      'the login page once the session is older than max_age',
      isLoginPage,
    );
    const tokens = await exchange(
      config,
      req,
      callbackOf(await authorize(agent, req.url, user), c.redirectUri),
      {
        maxAge: 1,
      },
    );
    assert.ok(tokens.claims()!.auth_time! >= first.claims.auth_time! + 2, 'auth_time moved to the new login');
  });

  test('an id_token_hint of another user than the signed-in one is refused', async () => {
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const alice = await t.createUser('default', 'Alice');
    const bob = await t.createUser('default', 'Bob');
    const aliceAgent = new HttpAgent();
    const aliceSession = await signIn(aliceAgent, config, c, alice);
    const bobSession = await signIn(new HttpAgent(), config, c, bob);
    const bobIdToken = bobSession.tokens.id_token!;

    // Alice's own hint: silent success.
    const own = await authRequest(config, c, {
      prompt: 'none',
      id_token_hint: aliceSession.tokens.id_token!,
    });
    await exchange(config, own, callbackOf(await aliceAgent.walk(own.url), c.redirectUri));

    const silent = await authRequest(config, c, { prompt: 'none', id_token_hint: bobIdToken });
    assert.equal(errorAt(await aliceAgent.walk(silent.url), c, silent.state).error, 'login_required');

    // Interactive: the login page, not a code for Alice.
    const interactive = await authRequest(config, c, { id_token_hint: bobIdToken });
    expectPage(await aliceAgent.walk(interactive.url), 'the login page for the hinted user', isLoginPage);
  });
});

describe('token endpoint: codes', () => {
  test('a reused authorization code fails and revokes the tokens issued from it', async () => {
    const c = await t.createClient();
    const { config, req, callback, code } = await codeFor(t, c);
    const tokens = await exchange(config, req, callback);
    assert.ok(tokens.refresh_token, 'a refresh token was issued');
    assert.equal((await userinfo(c.issuer, tokens.access_token)).status, 200, 'the access token works');
    assert.equal((await introspect(c, tokens.access_token)).body.active, true);

    const replay = await redeem(c, req, code);
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.body.error, 'invalid_grant');

    const refresh = await tokenRequest(c, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    assert.equal(refresh.body.error, 'invalid_grant', `refresh after replay: ${refresh.text}`);
    assert.equal((await introspect(c, tokens.access_token)).body.active, false, 'access token inactive');
    assert.equal((await introspect(c, tokens.refresh_token)).body.active, false, 'refresh token inactive');
    const info = await userinfo(c.issuer, tokens.access_token);
    assert.equal(info.status, 401, `userinfo with the revoked access token: ${info.text}`);
    assert.match(info.headers.get('www-authenticate') ?? '', /^Bearer\b/i);
  });

  test('the same code exchanged five times at once: one answer has tokens, and the replays revoke them', async () => {
    const c = await t.createClient();
    const { req, code } = await codeFor(t, c);
    const answers = await Promise.all(Array.from({ length: 5 }, () => redeem(c, req, code)));
    const ok = answers.filter((a) => a.status === 200);
    assert.equal(ok.length, 1, answers.map((a) => `${a.status} ${a.text}`).join('\n'));
    for (const a of answers.filter((x) => x.status !== 200))
      assert.equal(a.body.error, 'invalid_grant', a.text);
    const refreshToken = ok[0]!.body.refresh_token as string;
    assert.equal((await introspect(c, refreshToken)).body.active, false, 'revoked by the replays');
  });

  test('a code altered by one character, cut or padded is invalid and changes nothing', async () => {
    const c = await t.createClient();
    const { config, req, callback, code } = await codeFor(t, c);
    const at = code.length >> 1;
    const altered = code.slice(0, at) + (code[at] === 'A' ? 'B' : 'A') + code.slice(at + 1);
    const base = {
      grant_type: 'authorization_code',
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
    };
    for (const bad of [altered, code.slice(0, -4), `${code}AAAA`, 'x'.repeat(5000), 'not a code']) {
      const refused = await tokenRequest(c, { ...base, code: bad });
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.body.error, 'invalid_grant');
    }
    const tokens = await exchange(config, req, callback);
    assert.ok(tokens.access_token, 'the real code still works');
  });

  test('a wrong PKCE verifier is refused', async () => {
    const c = await t.createClient();
    const { req, code } = await codeFor(t, c);
    const other = await pkce();
    const wrong = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: req.redirectUri,
      code_verifier: other.verifier,
    });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.body.error, 'invalid_grant');

    const second = await codeFor(t, c);
    const missing = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code: second.code,
      redirect_uri: second.req.redirectUri,
    });
    assert.equal(missing.status, 400, missing.text);
    assert.ok(['invalid_grant', 'invalid_request'].includes(missing.body.error as string), missing.text);
  });

  test('the code is bound to the redirect URI of the request', async () => {
    const other = t.redirectUri();
    const c = await t.createClient({ redirectUris: [t.redirectUri(), other] });
    const { req, code } = await codeFor(t, c);
    const response = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: other,
      code_verifier: req.verifier,
    });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.error, 'invalid_grant');
  });

  test('a code issued to client A is refused at client B', async () => {
    const shared = t.redirectUri();
    const a = await t.createClient({ redirectUris: [shared] });
    const b = await t.createClient({ redirectUris: [shared] });
    const { req, code } = await codeFor(t, a);
    const response = await redeem(b, req, code);
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.error, 'invalid_grant');
  });

  test('a bad client secret gets 401 invalid_client with WWW-Authenticate', async () => {
    const c = await t.createClient({
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });
    const good = await tokenRequest(c, { grant_type: 'client_credentials' });
    assert.equal(good.status, 200, `the right secret works: ${good.text}`);

    const wrong = await tokenRequest(c, { grant_type: 'client_credentials' }, `${c.clientSecret}x`);
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.body.error, 'invalid_client');
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic\b/i, 'a Basic challenge');
    assert.equal(wrong.headers.get('cache-control'), 'no-store');

    const unknown = await postForm(
      c.issuer,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      {
        authorization: basic('no-such-client', 'secret'),
      },
    );
    assert.equal(unknown.status, 401, unknown.text);
    assert.equal(unknown.body.error, 'invalid_client');
    assert.ok(unknown.headers.get('www-authenticate'));

    // client_secret_post with a wrong secret, and a confidential client sending no secret at all.
    const post = await t.createClient({
      tokenEndpointAuthMethod: 'client_secret_post',
      grantTypes: ['authorization_code', 'client_credentials'],
    });
    const wrongPost = await tokenRequest(post, { grant_type: 'client_credentials' }, 'not-the-secret');
    assert.equal(wrongPost.status, 401, wrongPost.text);
    assert.equal(wrongPost.body.error, 'invalid_client');
    const none = await postForm(c.issuer, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: c.clientId,
    });
    assert.equal(none.status, 401, none.text);
    assert.equal(none.body.error, 'invalid_client');

    // openid-client sees the same failure.
    const config = await t.rp({ ...c, clientSecret: 'wrong' });
    const failed = await oauthError(client.clientCredentialsGrant(config));
    assert.equal(failed.status, 401);
    assert.equal(failed.error, 'invalid_client');
  });
});

describe('token endpoint: expiry', () => {
  test('an expired authorization code is refused', async () => {
    const c = await shortCodes.createClient();
    const { req, code } = await codeFor(shortCodes, c);
    await sleep(2100);
    const response = await redeem(c, req, code);
    assert.equal(response.status, 400, `a code 2 s old with AUTH_CODE_TTL=1s: ${response.text}`);
    assert.equal(response.body.error, 'invalid_grant');
  });
});

describe('token endpoint: a replay after expiry', () => {
  test('still revokes what the first exchange issued', async () => {
    const c = await shortCodes.createClient();
    const { config, req, callback, code } = await codeFor(shortCodes, c);
    const tokens = await exchange(config, req, callback);
    assert.equal((await introspect(c, tokens.refresh_token!)).body.active, true);
    await sleep(2100);
    const replay = await redeem(c, req, code);
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal(
      (await introspect(c, tokens.refresh_token!)).body.active,
      false,
      'revoked by the late replay',
    );
  });
});

describe('token endpoint: refresh tokens', () => {
  test('a refresh token reused after rotation fails and revokes its family', async () => {
    const c = await t.createClient();
    const { config, req, callback } = await codeFor(t, c);
    const tokens = await exchange(config, req, callback);
    const rt1 = tokens.refresh_token!;
    assert.ok(rt1);
    const rotated = await client.refreshTokenGrant(config, rt1);
    const rt2 = rotated.refresh_token!;
    assert.ok(rt2 && rt2 !== rt1, 'refresh rotates the refresh token');

    const reuse = await tokenRequest(c, { grant_type: 'refresh_token', refresh_token: rt1 });
    assert.equal(reuse.status, 400, reuse.text);
    assert.equal(reuse.body.error, 'invalid_grant');

    const family = await tokenRequest(c, { grant_type: 'refresh_token', refresh_token: rt2 });
    assert.equal(family.status, 400, `the newest token of a reused family is revoked too: ${family.text}`);
    assert.equal(family.body.error, 'invalid_grant');
  });

  test('refresh can narrow the scope but not widen it', async () => {
    const c = await t.createClient();
    const { config, req, callback } = await codeFor(t, c);
    const tokens = await exchange(config, req, callback);
    assert.deepEqual(new Set(tokens.scope!.split(' ')), new Set(['openid', 'email', 'profile']));

    const narrowed = await client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid email' });
    assert.deepEqual(new Set(narrowed.scope!.split(' ')), new Set(['openid', 'email']));
    const info = await userinfo(c.issuer, narrowed.access_token);
    assert.equal(info.status, 200, info.text);
    assert.ok(info.body.email, 'email scope kept');
    assert.equal(info.body.name, undefined, 'profile claims gone with the profile scope');

    const widened = await tokenRequest(c, {
      grant_type: 'refresh_token',
      refresh_token: narrowed.refresh_token!,
      scope: 'openid email profile phone',
    });
    assert.equal(widened.status, 400, widened.text);
    assert.equal(widened.body.error, 'invalid_scope');
  });

  test('token responses are never cached', async () => {
    const c = await t.createClient();
    const { req, callback } = await codeFor(t, c);
    const ok = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
    const bad = await tokenRequest(c, { grant_type: 'refresh_token', refresh_token: 'nope' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('cache-control'), 'no-store');
  });
});

describe('introspection and revocation', () => {
  test('introspection answers authenticated clients only', async () => {
    const c = await t.createClient();
    const { config, req, callback } = await codeFor(t, c);
    const tokens = await exchange(config, req, callback);
    const anonymous = await postForm(c.issuer, '/oauth2/introspect', { token: tokens.access_token });
    assert.equal(anonymous.status, 401, anonymous.text);
    const wrong = await postForm(
      c.issuer,
      '/oauth2/introspect',
      { token: tokens.access_token },
      { authorization: basic(c.clientId, 'wrong') },
    );
    assert.equal(wrong.status, 401, wrong.text);
    assert.equal(wrong.body.error, 'invalid_client');
    const ok = await introspect(c, tokens.access_token);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.active, true);
  });

  test('revocation answers 200 for an unknown token and for a token of another client', async () => {
    const a = await t.createClient();
    const b = await t.createClient();
    const { config, req, callback } = await codeFor(t, a);
    const tokens = await exchange(config, req, callback);
    for (const token of ['unknown-token', 'x'.repeat(43)]) {
      const response = await postForm(
        a.issuer,
        '/oauth2/revoke',
        { token },
        { authorization: basic(a.clientId, a.clientSecret!) },
      );
      assert.equal(response.status, 200, `${token}: ${response.text}`);
    }
    // B may not revoke A's token (RFC 7009 §2.1): the answer may be 200 or an error, but the token lives on.
    await postForm(
      b.issuer,
      '/oauth2/revoke',
      { token: tokens.refresh_token! },
      { authorization: basic(b.clientId, b.clientSecret!) },
    );
    const still = await tokenRequest(a, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    assert.equal(still.status, 200, `A's refresh token survives B's revocation attempt: ${still.text}`);
    const unauthenticated = await postForm(a.issuer, '/oauth2/revoke', { token: 'x' });
    assert.equal(
      unauthenticated.status,
      401,
      `revocation without client authentication: ${unauthenticated.text}`,
    );
  });
});

// Every tenant is its own issuer: clients, codes, tokens and sessions of one are never accepted by another.
describe('tenant isolation of the OAuth endpoints', () => {
  before(() => t.createTenant('acme', 'Acme'));

  test('a non-default tenant completes the code flow under /t/acme with its own issuer', async () => {
    const c = await t.createClient({ tenant: 'acme' });
    const config = await t.rp(c);
    assert.equal(config.serverMetadata().issuer, `${t.base}/t/acme`);
    const user = await t.createUser('acme');
    const req = await authRequest(config, c);
    const landing = await authorize(new HttpAgent(), req.url, user, {
      consent: 'allow',
      onPage: (p) => assert.ok(p.url.pathname.startsWith('/t/acme/'), `a page of the tenant: ${p.url.href}`),
    });
    const tokens = await exchange(config, req, callbackOf(landing, c.redirectUri));
    assert.equal(tokens.claims()!.iss, `${t.base}/t/acme`);
    assert.equal(
      (await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).email,
      user.email,
    );
  });

  test('a token from tenant A is refused by tenant B', async () => {
    const acme = await t.createClient({ tenant: 'acme', firstParty: true });
    const home = await t.createClient({ firstParty: true, redirectUris: [acme.redirectUri] });
    const user = await t.createUser('acme');
    const { tokens } = await signIn(new HttpAgent(), await t.rp(acme), acme, user);
    assert.equal((await userinfo(acme.issuer, tokens.access_token)).status, 200, 'valid at its own tenant');

    // Access token at the default tenant's userinfo; introspection by a default-tenant client.
    assert.equal((await userinfo(t.issuer(), tokens.access_token)).status, 401);
    const foreignIntrospection = await introspect(home, tokens.access_token);
    assert.equal(foreignIntrospection.body.active, false, foreignIntrospection.text);

    // Refresh token at the default tenant's token endpoint, by a default-tenant client.
    const refresh = await tokenRequest(home, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    });
    assert.equal(refresh.status, 400, refresh.text);
    assert.equal(refresh.body.error, 'invalid_grant');

    // The acme client cannot authenticate at the default tenant's endpoints at all.
    const wrongIssuer = await postForm(
      t.issuer(),
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
      { authorization: basic(acme.clientId, acme.clientSecret!) },
    );
    assert.ok([400, 401].includes(wrongIssuer.status), wrongIssuer.text);
    assert.equal(wrongIssuer.body.access_token, undefined, 'no tokens from the wrong issuer');

    // A code of acme redeemed at the default tenant's token endpoint.
    const agent = new HttpAgent();
    const acmeConfig = await t.rp(acme);
    await signIn(agent, acmeConfig, acme, user);
    const again = await authRequest(acmeConfig, acme);
    const code = callbackOf(await agent.walk(again.url), acme.redirectUri).searchParams.get('code')!;
    const crossCode = await tokenRequest(home, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: again.redirectUri,
      code_verifier: again.verifier,
    });
    assert.equal(crossCode.status, 400, crossCode.text);
    assert.equal(crossCode.body.error, 'invalid_grant');

    // An acme client_id at the default tenant's authorize endpoint: an error page, no redirect.
    const wrongTenant = await fetch(
      (await authRequest(acmeConfig, acme)).url.href.replace(`${t.base}/t/acme/`, `${t.base}/`),
      { redirect: 'manual' },
    );
    await wrongTenant.body?.cancel();
    assert.equal(wrongTenant.status, 400);
    assert.equal(wrongTenant.headers.get('location'), null);
  });

  test('a browser session of tenant A does not sign the user in at tenant B', async () => {
    const acme = await t.createClient({ tenant: 'acme', firstParty: true });
    const home = await t.createClient({ firstParty: true });
    const user = await t.createUser('acme');
    const agent = new HttpAgent();
    await signIn(agent, await t.rp(acme), acme, user);
    const homeConfig = await t.rp(home);
    const silent = await authRequest(homeConfig, home, { prompt: 'none' });
    const url = expectRedirect(await agent.walk(silent.url), home.redirectUri);
    assert.equal(url.searchParams.get('error'), 'login_required');
  });
});
