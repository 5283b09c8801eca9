// Limits stop guessing, not people (issue #14): many sign-ins of one user, or of many users behind one
// NAT, pass; wrong passwords and bad client secrets are budgeted per account and per address; an OAuth
// client's token requests are counted per client, not per address. Every test runs with the in-memory
// limiter store and, when TEST_REDIS_URL is set, with the Redis store that several instances share.
// Addresses come from X-Forwarded-For (TRUST_PROXY=true) and are fresh per test, so counts left in a
// shared Redis by other tests never meet these.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL, unlessAvailable } from '../support/env.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  expectPage,
  isLoginPage,
  postForm,
  startOidcApp,
  type OidcTestApp,
  type TestClient,
  type TestUser,
} from '../support/oidc.js';

/** A fresh address in 198.18.0.0/15 (benchmarking range), one per call. */
const freshAddress = () => `198.${18 + randomInt(2)}.${randomInt(256)}.${randomInt(1, 255)}`;

/** An HttpAgent whose every request comes from `address` (as the trusted proxy reports it). */
class AgentAt extends HttpAgent {
  constructor(readonly address: string) {
    super();
  }
  override request(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-forwarded-for', this.address);
    return super.request(url, { ...init, headers });
  }
}

const from = (address: string) => ({ 'x-forwarded-for': address });

/** One complete hosted sign-in: authorize, the login form (with its CSRF token), the code exchange. */
async function hostedSignIn(t: OidcTestApp, c: TestClient, user: TestUser, address: string) {
  const config = await t.rp(c);
  const req = await authRequest(config, c);
  const landing = await authorize(new AgentAt(address), req.url, user, { consent: 'allow' });
  const callback = callbackOf(landing, req.redirectUri);
  const code = callback.searchParams.get('code');
  assert.ok(code, 'an authorization code');
  return postForm(
    c.issuer,
    '/oauth2/token',
    { grant_type: 'authorization_code', code, redirect_uri: req.redirectUri, code_verifier: req.verifier },
    { authorization: basicOf(c), ...from(address) },
  );
}

/** Posts the hosted login form from `address` with `password`; returns the status of the answer. */
async function hostedLoginStatus(
  t: OidcTestApp,
  c: TestClient,
  email: string,
  password: string,
  address: string,
) {
  const config = await t.rp(c);
  const req = await authRequest(config, c);
  const agent = new AgentAt(address);
  const page = expectPage(await agent.walk(req.url), 'the login page', isLoginPage);
  const landing = await agent.submit(
    page,
    { email, password },
    { form: (f) => f.fields.some((x) => x.name === 'password') },
  );
  return landing.kind === 'redirect' ? landing.status : landing.page.status;
}

const stores: Array<[string, Record<string, string>, string | false]> = [
  ['memory store', {}, false],
  ['Redis store', REDIS_URL ? { REDIS_URL } : {}, unlessAvailable({ redis: true })],
];

for (const [storeName, storeEnv, skip] of stores) {
  describe(`NAT-friendly limits (${storeName})`, { skip }, () => {
    let t: OidcTestApp;
    before(async () => {
      t = await startOidcApp({ ...storeEnv, TRUST_PROXY: 'true' });
    });
    after(() => t.close());

    test('50 hosted sign-ins of one user from one address in a minute all succeed; 6 wrong passwords still lock', async () => {
      const c = await t.createClient({ firstParty: true });
      const user = await t.createUser();
      const address = freshAddress();
      const started = Date.now();
      for (let i = 0; i < 50; i++) {
        const tokens = await hostedSignIn(t, c, user, address);
        assert.equal(tokens.status, 200, `sign-in ${i + 1}: ${tokens.text}`);
        assert.ok(tokens.body.access_token);
      }
      assert.ok(Date.now() - started < 60_000, 'the 50 sign-ins ran within one minute');

      // The default lockout: 5 failures lock the account, the 6th attempt is refused, even if right.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(await hostedLoginStatus(t, c, user.email, 'Wrong-Password-123', address));
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      assert.equal(await hostedLoginStatus(t, c, user.email, user.password, freshAddress()), 429);
    });

    test('the per-address failure budget stops a password spray across many accounts', async () => {
      const address = freshAddress();
      const statuses: number[] = [];
      for (let i = 0; i < 32; i++) {
        const email = `sprayed-${i}-${randomInt(1e9)}@example.com`;
        statuses.push(
          (await t.post('/v2/auth/login', { email, password: 'Summer2026!' }, from(address))).status,
        );
      }
      // RATE_LIMIT_FAILURES_PER_IP defaults to 30 a minute.
      assert.deepEqual(statuses.slice(0, 30), Array<number>(30).fill(401));
      assert.deepEqual(statuses.slice(30), [429, 429]);
      // The address is refused even with a right password; another address is not.
      const user = await t.createUser();
      const credentials = { email: user.email, password: user.password };
      assert.equal((await t.post('/v2/auth/login', credentials, from(address))).status, 429);
      assert.equal((await t.post('/v2/auth/login', credentials, from(freshAddress()))).status, 200);
    });

    test('40 users behind one address sign in, with 25 typos among them: successes cost no failure budget', async () => {
      const address = freshAddress();
      for (let i = 0; i < 40; i++) {
        const user = await t.createUser();
        if (i < 25) {
          const typo = { email: user.email, password: `typo-${user.password}` };
          assert.equal((await t.post('/v2/auth/login', typo, from(address))).status, 401, `typo ${i + 1}`);
        }
        const credentials = { email: user.email, password: user.password };
        const ok = await t.post('/v2/auth/login', credentials, from(address));
        assert.equal(ok.status, 200, `user ${i + 1} signs in: ${JSON.stringify(ok.body)}`);
      }
    });

    test('an OAuth client refreshes 40 times a minute from one address; bad secrets from elsewhere do not touch it', async () => {
      const c = await t.createClient({ firstParty: true });
      const user = await t.createUser();
      const clientAddress = freshAddress();
      const first = await hostedSignIn(t, c, user, clientAddress);
      assert.equal(first.status, 200, first.text);
      let refreshToken = first.body.refresh_token as string;
      assert.ok(refreshToken, 'a refresh token');

      const attacker = freshAddress();
      const badSecrets: number[] = [];
      for (let i = 0; i < 40; i++) {
        const refreshed = await postForm(
          c.issuer,
          '/oauth2/token',
          { grant_type: 'refresh_token', refresh_token: refreshToken },
          { authorization: basicOf(c), ...from(clientAddress) },
        );
        assert.equal(refreshed.status, 200, `refresh ${i + 1}: ${refreshed.text}`);
        refreshToken = refreshed.body.refresh_token as string;
        const bad = await postForm(
          c.issuer,
          '/oauth2/token',
          { grant_type: 'refresh_token', refresh_token: refreshToken },
          { authorization: basicOf(c, 'not-the-secret'), ...from(attacker) },
        );
        badSecrets.push(bad.status);
      }
      // Bad client secrets spend the attacker's address's failure budget, and only that.
      assert.deepEqual(badSecrets.slice(0, 30), Array<number>(30).fill(401));
      assert.deepEqual(new Set(badSecrets.slice(30)), new Set([429]));
      const good = await postForm(
        c.issuer,
        '/oauth2/token',
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        { authorization: basicOf(c), ...from(attacker) },
      );
      assert.equal(good.status, 429, 'the right secret from the spent address is refused too (no oracle)');

      // The budget is the guessed client's at that address: a neighbour behind the same address (a shared
      // NAT or PaaS egress) who spends it blocks neither other clients nor people signing in there.
      const neighbour = await t.createClient({ grantTypes: ['client_credentials'] });
      const own = await postForm(
        neighbour.issuer,
        '/oauth2/token',
        { grant_type: 'client_credentials' },
        { authorization: basicOf(neighbour), ...from(attacker) },
      );
      assert.equal(own.status, 200, `another client from the same address: ${own.text}`);
      const person = await t.createUser();
      const signIn = await t.post(
        '/v2/auth/login',
        { email: person.email, password: person.password },
        from(attacker),
      );
      assert.equal(
        signIn.status,
        200,
        `a person signing in from the same address: ${JSON.stringify(signIn.body)}`,
      );
    });
  });
}

describe('per-client token limit', () => {
  let t: OidcTestApp;
  before(async () => {
    t = await startOidcApp({ TRUST_PROXY: 'true', RATE_LIMIT_PER_CLIENT: '5', RATE_LIMIT_PER_IP: '3' });
  });
  after(() => t.close());

  test('an authenticated client is counted per client, whatever its address', async () => {
    const c = await t.createClient({ grantTypes: ['client_credentials'] });
    const other = await t.createClient({ grantTypes: ['client_credentials'] });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // A new address each time: the limit is the client's, not an address's.
      const r = await postForm(
        c.issuer,
        '/oauth2/token',
        { grant_type: 'client_credentials' },
        {
          authorization: basicOf(c),
          ...from(freshAddress()),
        },
      );
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const r = await postForm(
      other.issuer,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      {
        authorization: basicOf(other),
        ...from(freshAddress()),
      },
    );
    assert.equal(r.status, 200, 'another client has its own count');
  });

  test('a public client (anyone can name it) is counted per client and address', async () => {
    const c = await t.createClient({ type: 'public' });
    const address = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await postForm(
        c.issuer,
        '/oauth2/token',
        { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43), client_id: c.clientId },
        from(address),
      );
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, [400, 400, 400, 429]);
    const elsewhere = await postForm(
      c.issuer,
      '/oauth2/token',
      { grant_type: 'refresh_token', refresh_token: 'x'.repeat(43), client_id: c.clientId },
      from(freshAddress()),
    );
    assert.equal(elsewhere.status, 400, 'one address using up the budget does not stop the client elsewhere');
  });
});

function basicOf(c: TestClient, secret = c.clientSecret ?? '') {
  return `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
