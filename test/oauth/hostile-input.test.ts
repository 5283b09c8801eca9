// Hostile input at the OAuth endpoints and hosted pages: always a 4xx (or the documented redirect/page),
// never a 500, never a stack trace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, startTestApp, type TestApp } from '../support/app.js';

describe('hostile input at the OAuth endpoints', () => {
  let t: TestApp;
  let basic: string;
  let clientId: string;
  before(async () => {
    t = await startTestApp(FAST_ARGON2);
    const tenant = await t.app.services.tenants.resolve(undefined);
    const { client, clientSecret } = await t.app.services.clients.create(tenant, {
      name: 'Hostile',
      type: 'confidential',
      redirectUris: ['http://127.0.0.1:9/cb'],
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
      scopes: ['openid', 'constructor', '__proto__'],
    });
    clientId = client.clientId;
    basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  });
  after(() => t.close());

  const form = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  const tokenBodies = [
    'grant_type=constructor',
    'grant_type=__proto__',
    'grant_type=toString',
    'grant_type=hasOwnProperty',
    'grant_type=',
    '',
    'grant_type=client_credentials&grant_type=client_credentials',
    'grant_type=client_credentials&scope=openid',
    'grant_type=client_credentials&scope=%00',
    'grant_type=authorization_code&code=x&redirect_uri=http://127.0.0.1:9/cb',
    `grant_type=authorization_code&code=${'a'.repeat(43)}&redirect_uri=http://127.0.0.1:9/cb&code_verifier=short`,
    'grant_type=refresh_token',
    `grant_type=refresh_token&refresh_token=${'b'.repeat(43)}&scope=${'x'.repeat(5000)}`,
    'grant_type=refresh_token&refresh_token=%F0%9F%98%80',
    'grant_type=password&username=a&password=b',
    'grant_type=implicit',
  ];
  for (const body of tokenBodies) {
    test(`token endpoint: ${body.slice(0, 60) || '(empty body)'} → 4xx JSON`, async () => {
      const response = await form('/oauth2/token', body, { authorization: basic });
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      const json = (await response.json()) as { error: string; error_description: string };
      assert.match(json.error, /^[a-z_]+$/);
      assert.doesNotMatch(JSON.stringify(json), /at .*\.js|node_modules/);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });
  }

  test('scopes named like object properties are plain scopes', async () => {
    const response = await form(
      '/oauth2/token',
      'grant_type=client_credentials&scope=constructor%20__proto__',
      {
        authorization: basic,
      },
    );
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { scope: string }).scope, 'constructor __proto__');
  });

  test('an unknown grant type is unsupported_grant_type, even one named like an object property', async () => {
    for (const grant of ['constructor', '__proto__', 'toString']) {
      const response = await form('/oauth2/token', `grant_type=${grant}`, { authorization: basic });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, 'unsupported_grant_type');
    }
  });

  const badAuth = [
    'Basic',
    'Basic !!!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
    `Basic ${Buffer.from('%zz:secret').toString('base64')}`,
    `Basic ${Buffer.from(':').toString('base64')}`,
    'Bearer abc',
    `Basic ${'A'.repeat(6000)}`,
  ];
  for (const header of badAuth) {
    test(`client authentication "${header.slice(0, 30)}" → 401 invalid_client with a challenge`, async () => {
      const response = await form('/oauth2/token', 'grant_type=client_credentials', {
        authorization: header,
      });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic/);
    });
  }

  test('two client authentication methods at once are refused', async () => {
    const response = await form(
      '/oauth2/token',
      `grant_type=client_credentials&client_id=${clientId}&client_secret=x`,
      {
        authorization: basic,
      },
    );
    assert.equal(response.status, 400);
  });

  const authorizeQueries = [
    '',
    'client_id=nope',
    'client_id[]=x',
    `client_id=${'x'.repeat(10_000)}`,
    'client_id=%00',
    'redirect_uri=javascript:alert(1)&client_id=x',
  ];
  for (const query of authorizeQueries) {
    test(`authorize ?${query.slice(0, 40)} → an error page, never a redirect or 500`, async () => {
      const response = await fetch(`${t.base}/oauth2/authorize?${query}`, { redirect: 'manual' });
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      assert.equal(response.headers.get('location'), null);
    });
  }

  test('authorize with repeated parameters after a valid client goes back with invalid_request', async () => {
    const q = `client_id=${clientId}&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&response_type=code&scope=openid&scope=openid`;
    const response = await fetch(`${t.base}/oauth2/authorize?${q}`, { redirect: 'manual' });
    // A repeated parameter is refused before the client is known: an error page.
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
  });

  const pagePosts: [string, string][] = [
    ['/login', 'email=a@b.co&password=x&csrf_token=' + 'x'.repeat(200)],
    ['/login', 'email[]=a&password=x'],
    ['/consent', 'decision=maybe&interaction=x'],
    ['/consent', 'decision=allow&interaction=x&csrf_token=y'],
    ['/register', 'email=a@b.co&password=x&name=%00'],
    ['/oauth2/logout', 'decision=logout&csrf_token=forged'],
    ['/oauth2/logout', 'id_token_hint=not.a.jwt'],
    ['/oauth2/logout', 'post_logout_redirect_uri=https://evil.example/'],
  ];
  for (const [path, body] of pagePosts) {
    test(`POST ${path} ${body.slice(0, 40)} → 4xx, no redirect elsewhere`, async () => {
      const response = await form(path, body);
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      const location = response.headers.get('location');
      assert.ok(location === null || location.startsWith('/'), `location ${location}`);
    });
  }

  test('userinfo with garbage tokens is 401 with a Bearer challenge', async () => {
    for (const header of ['Bearer x', 'Bearer a.b.c', 'Basic abc', `Bearer ${'a'.repeat(5000)}`]) {
      const response = await fetch(`${t.base}/userinfo`, { headers: { authorization: header } });
      assert.equal(response.status, 401, header.slice(0, 20));
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  });
});
