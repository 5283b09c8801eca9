// Every first-party auth endpoint's happy path through real HTTP, plus the rules around them:
// refresh rotation and reuse detection, logout, sessions, lockout, rate limits, rehash on login.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { PasswordHasher } from '../../src/crypto/passwords.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

interface Registered {
  email: string;
  password: string;
  access_token: string;
  refresh_token: string;
  user: { id: string; tenant_id: string };
}

async function register(
  t: TestApp,
  email = uniqueEmail(),
  password = STRONG_PASSWORD,
  prefix = '',
): Promise<Registered> {
  const response = await t.post(`${prefix}/v2/auth/register`, { email, password, name: 'Test User' });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { email, password, ...(response.body as unknown as Omit<Registered, 'email' | 'password'>) };
}

describe('first-party auth endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('register creates the user and, with auto-login, returns a token pair', async () => {
    const email = `  Mixed.Case.${Date.now()}@Example.COM `;
    const response = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD, name: ' Zoë ' });
    assert.equal(response.status, 201);
    const user = response.body.user as Record<string, unknown>;
    assert.equal(user.email, email.trim(), 'the address is kept as typed for display');
    assert.equal(user.name, 'Zoë');
    assert.equal(user.email_verified, false);
    assert.equal(response.body.token_type, 'Bearer');
    assert.equal(typeof response.body.refresh_token, 'string');
    const claims = decodeJwt(response.body.access_token as string);
    assert.equal(claims.sub, user.id);
    for (const claim of ['iss', 'aud', 'exp', 'iat', 'jti', 'tid', 'sid']) assert.ok(claim in claims, claim);
    assert.equal(response.headers.get('cache-control'), 'no-store');

    const again = await t.post('/v2/auth/register', {
      email: email.trim().toUpperCase(),
      password: STRONG_PASSWORD,
    });
    assert.equal(again.status, 409, 'uniqueness ignores case and surrounding spaces');
    assert.equal(again.body.error, 'email_taken');
  });

  test('register refuses weak passwords with weak_password', async () => {
    for (const password of ['short', 'password123', 'qwertyuiop']) {
      const response = await t.post('/v2/auth/register', { email: uniqueEmail(), password });
      assert.equal(response.status, 400, password);
      assert.equal(response.body.error, 'weak_password');
    }
  });

  test('login returns a token pair whose access token verifies against the JWKS', async () => {
    const user = await register(t);
    const login = await t.post('/v2/auth/login', {
      email: user.email.toUpperCase(),
      password: user.password,
    });
    assert.equal(login.status, 200);
    const jwks = (await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(
      login.body.access_token as string,
      createLocalJWKSet(jwks),
      {
        issuer: t.base,
        // For our own APIs only (UserInfo, the account API): never the issuer, which no API should take.
        audience: `${t.base}/userinfo`,
        typ: 'at+jwt',
      },
    );
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, user.user.id);
    assert.deepEqual(payload.amr, ['pwd']);
  });

  test('unknown email and wrong password get the same status and body', async () => {
    const user = await register(t);
    const wrong = await t.post('/v2/auth/login', { email: user.email, password: 'Not-The-Password-1' });
    const unknown = await t.post('/v2/auth/login', {
      email: uniqueEmail('nobody'),
      password: 'Not-The-Password-1',
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, wrong.status);
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    assert.deepEqual(strip(unknown.body), strip(wrong.body));
    assert.equal(wrong.body.error, 'invalid_credentials');
  });

  test('GET /v2/me returns the user of a bearer token', async () => {
    const user = await register(t);
    const me = await t.get('/v2/me', { authorization: `Bearer ${user.access_token}` });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, user.email);
    assert.equal(me.body.password_hash, undefined);
    const none = await t.get('/v2/me');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('refresh rotates: the new pair works, the old refresh token does not', async () => {
    const user = await register(t);
    const first = await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token });
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refresh_token, user.refresh_token);
    const old = await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token });
    assert.equal(old.status, 400);
    assert.equal(old.body.error, 'invalid_grant');
  });

  test('reusing a rotated refresh token revokes the newer tokens and the session, and is audited', async () => {
    const user = await register(t);
    const rotated = await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token });
    assert.equal(rotated.status, 200);
    assert.equal((await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token })).status, 400);
    const newer = await t.post('/v2/auth/refresh', { refresh_token: rotated.body.refresh_token });
    assert.equal(newer.status, 400, 'the token issued after the reused one is revoked too');
    const me = await t.get('/v2/me', { authorization: `Bearer ${rotated.body.access_token as string}` });
    assert.equal(me.status, 401, 'the session is over');
    const events = await t.db.query<{ type: string }>(
      `SELECT type FROM audit_events WHERE user_id = $1 AND type = 'refresh_token.reuse_detected'`,
      [user.user.id],
    );
    assert.equal(events.rows.length, 1);
  });

  test('logout ends one session; logout all ends every session of the user', async () => {
    const user = await register(t);
    const second = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const third = await t.post('/v2/auth/login', { email: user.email, password: user.password });

    const out = await t.post('/v2/auth/logout', { refresh_token: user.refresh_token });
    assert.equal(out.status, 204);
    assert.equal((await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token })).status, 400);
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${user.access_token}` })).status, 401);
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${second.body.access_token as string}` })).status,
      200,
    );

    const all = await t.post(
      '/v2/auth/logout',
      { all: true },
      { authorization: `Bearer ${third.body.access_token as string}` },
    );
    assert.equal(all.status, 204);
    for (const pair of [second.body, third.body]) {
      assert.equal((await t.post('/v2/auth/refresh', { refresh_token: pair.refresh_token })).status, 400);
    }
  });

  test('logout with a superseded refresh token is reuse: refused, its session ended, other sessions kept', async () => {
    const user = await register(t);
    const other = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const rotated = await t.post('/v2/auth/refresh', { refresh_token: user.refresh_token });
    assert.equal(rotated.status, 200);

    const out = await t.post('/v2/auth/logout', { refresh_token: user.refresh_token, all: true });
    assert.equal(out.status, 400);
    assert.equal(out.body.error, 'invalid_grant');
    // The family of the copied token is revoked, as at /refresh, and the reuse is audited...
    assert.equal(
      (await t.post('/v2/auth/refresh', { refresh_token: rotated.body.refresh_token })).status,
      400,
    );
    const events = await t.db.query<{ type: string }>(
      `SELECT type FROM audit_events WHERE user_id = $1 AND type = 'refresh_token.reuse_detected'`,
      [user.user.id],
    );
    assert.equal(events.rows.length, 1);
    // ...but "all" was not honoured for the holder of a stale copy: the user's other session lives on.
    const me = await t.get('/v2/me', { authorization: `Bearer ${other.body.access_token as string}` });
    assert.equal(me.status, 200);
  });

  test('sessions: list shows the current one; revoking another ends it', async () => {
    const user = await register(t);
    const other = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const auth = { authorization: `Bearer ${user.access_token}` };
    const list = await t.get('/v2/auth/sessions', auth);
    assert.equal(list.status, 200);
    const sessions = list.body.sessions as { id: string; current: boolean }[];
    assert.equal(sessions.length, 2);
    assert.equal(sessions.filter((s) => s.current).length, 1);
    const otherSid = decodeJwt(other.body.access_token as string).sid as string;
    assert.equal((await t.get(`/v2/auth/sessions/${otherSid}`, auth)).status, 200);
    const deleted = await fetch(`${t.base}/v2/auth/sessions/${otherSid}`, {
      method: 'DELETE',
      headers: auth,
    });
    assert.equal(deleted.status, 204);
    assert.equal((await t.post('/v2/auth/refresh', { refresh_token: other.body.refresh_token })).status, 400);
    const again = await fetch(`${t.base}/v2/auth/sessions/${otherSid}`, { method: 'DELETE', headers: auth });
    assert.equal(again.status, 404);
  });

  test("a user cannot see or revoke another user's session", async () => {
    const alice = await register(t);
    const bob = await register(t);
    const bobSid = decodeJwt(bob.access_token).sid as string;
    const auth = { authorization: `Bearer ${alice.access_token}` };
    assert.equal((await t.get(`/v2/auth/sessions/${bobSid}`, auth)).status, 404);
    const deleted = await fetch(`${t.base}/v2/auth/sessions/${bobSid}`, { method: 'DELETE', headers: auth });
    assert.equal(deleted.status, 404);
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${bob.access_token}` })).status, 200);
  });

  test('browser session: login sets an HttpOnly cookie; session, token and logout work with it', async () => {
    const user = await register(t);
    const login = await fetch(`${t.base}/v2/session/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    assert.equal(login.status, 200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^hj_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    const cookie = { cookie: setCookie.split(';')[0]! };

    const session = await t.get('/v2/session', cookie);
    assert.equal(session.status, 200);
    assert.equal((session.body.user as Record<string, unknown>).email, user.email);

    const token = await t.get('/v2/session/token', cookie);
    assert.equal(token.status, 200);
    const me = await t.get('/v2/me', { authorization: `Bearer ${token.body.access_token as string}` });
    assert.equal(me.status, 200);

    const logout = await fetch(`${t.base}/v2/session`, { method: 'DELETE', headers: cookie });
    assert.equal(logout.status, 204);
    assert.equal((await t.get('/v2/session', cookie)).status, 401);
    assert.equal((await t.get('/v2/session/token', cookie)).status, 401);
  });

  test('config and password policy describe the tenant', async () => {
    const config = await t.get('/v2/auth/config');
    assert.equal(config.status, 200);
    assert.equal((config.body.tenant as Record<string, unknown>).slug, 'default');
    assert.equal(config.body.issuer, t.base);
    const policy = await t.get('/v2/auth/password-policy');
    assert.equal(policy.status, 200);
    assert.equal(policy.body.min_length, 8);
    assert.equal(policy.body.reject_common, true);
  });

  test('tenants are isolated: the same email registers separately, tokens stay in their tenant', async () => {
    await t.db.query(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING`);
    const email = uniqueEmail('both');
    const inDefault = await register(t, email);
    const inAcme = await register(t, email, STRONG_PASSWORD, '/t/acme');
    assert.notEqual(inAcme.user.tenant_id, inDefault.user.tenant_id);
    assert.equal(decodeJwt(inAcme.access_token).iss, `${t.base}/t/acme`);
    assert.equal(
      (await t.get('/t/acme/v2/me', { authorization: `Bearer ${inAcme.access_token}` })).status,
      200,
    );
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${inAcme.access_token}` })).status, 401);
    assert.equal(
      (await t.get('/v2/me?tenant_id=acme', { authorization: `Bearer ${inAcme.access_token}` })).status,
      200,
    );
    const jwks = await t.get('/t/acme/.well-known/jwks.json');
    const defaultJwks = await t.get('/.well-known/jwks.json');
    assert.notDeepEqual(jwks.body, defaultJwks.body, 'each tenant signs with its own keys');
  });

  test('login rehashes a password stored with old Argon2 parameters', async () => {
    const user = await register(t);
    const old = await new PasswordHasher({ memoryKiB: 2048, iterations: 1, parallelism: 1 }, 2).hash(
      user.password,
    );
    const id = user.user.id;
    await t.db.query('UPDATE users SET password_hash = $1 WHERE id = $2', [old, id]);
    assert.equal(
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
      200,
    );
    const stored = await t.db.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE id = $1',
      [id],
    );
    assert.match(stored.rows[0]!.password_hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  });
});

describe('lockout and rate limits', () => {
  test('repeated failures lock the account (even for the right password) and the lock releases', async () => {
    const t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_LOCKOUT: '2s' });
    try {
      const user = await register(t);
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await t.post('/v2/auth/login', { email: user.email, password: 'Wrong-Password-9' })).status,
          401,
        );
      }
      const locked = await t.post('/v2/auth/login', { email: user.email, password: user.password });
      assert.equal(locked.status, 429);
      assert.equal(locked.body.error, 'rate_limited');
      assert.ok(Number(locked.headers.get('retry-after')) >= 1);
      const unknown = uniqueEmail('ghost');
      for (let i = 0; i < 3; i++)
        await t.post('/v2/auth/login', { email: unknown, password: 'Wrong-Password-9' });
      assert.equal(
        (await t.post('/v2/auth/login', { email: unknown, password: 'Wrong-Password-9' })).status,
        429,
        'unknown accounts lock the same way, so lockout reveals nothing',
      );
      await new Promise((resolve) => setTimeout(resolve, 2_200));
      assert.equal(
        (await t.post('/v2/auth/login', { email: user.email, password: user.password })).status,
        200,
      );
    } finally {
      await t.close();
    }
  });

  test('per-IP limits answer 429 with Retry-After on register, login, forgot and refresh', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_IP: '3' });
    try {
      const attempts = {
        '/v2/auth/register': () => ({ email: uniqueEmail(), password: STRONG_PASSWORD }),
        '/v2/auth/login': () => ({ email: uniqueEmail(), password: STRONG_PASSWORD }),
        '/v2/auth/forgot': () => ({ email: uniqueEmail() }),
        '/v2/auth/refresh': () => ({ refresh_token: 'x'.repeat(43) }),
      };
      for (const [path, body] of Object.entries(attempts)) {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await t.post(path, body())).status);
        assert.notEqual(statuses[2], 429, `${path}: the first 3 pass the limiter`);
        const limited = await t.post(path, body());
        assert.equal(limited.status, 429, `${path}: ${statuses.join(',')}`);
        assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      }
    } finally {
      await t.close();
    }
  });
});
