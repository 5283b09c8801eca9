// Access tokens are verified once and then remembered (src/tokens/access-tokens.ts). What the cache must
// not change: an expired token is refused, a token is only ever accepted byte for byte, and a revoked
// session ends its tokens. Each case presents the token once first, so the refusal comes from the path
// that found it in the cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail } from '../support/app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('a remembered access token is refused once it expires', async () => {
  const t = await startTestApp({ ACCESS_TTL: '2s' });
  try {
    const user = await t.post('/v2/auth/register', { email: uniqueEmail('exp'), password: STRONG_PASSWORD });
    const token = user.body.access_token as string;
    assert.equal((await t.get('/v2/me', bearer(token))).status, 200);
    assert.equal((await t.get('/v2/me', bearer(token))).status, 200, 'the remembered token');
    await sleep(2_200);
    const expired = await t.get('/v2/me', bearer(token));
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'invalid_token');
    assert.match(String(expired.body.error_description), /expired/);
  } finally {
    await t.close();
  }
});

test('changing any part of a remembered token makes it a different, unverified token', async () => {
  const t = await startTestApp();
  try {
    const user = await t.post('/v2/auth/register', {
      email: uniqueEmail('tamper'),
      password: STRONG_PASSWORD,
    });
    const token = user.body.access_token as string;
    assert.equal((await t.get('/v2/me', bearer(token))).status, 200);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherSub = Buffer.from(JSON.stringify({ ...claims, sub: crypto.randomUUID() })).toString(
      'base64url',
    );
    for (const forged of [`${header}.${otherSub}.${signature}`, `${token}x`, `${header}.${payload}.`]) {
      const response = await t.get('/v2/me', bearer(forged));
      assert.equal(response.status, 401, forged.slice(-12));
      assert.equal(response.body.error, 'invalid_token');
    }
  } finally {
    await t.close();
  }
});

test('logging out ends the session’s remembered access tokens at once', async () => {
  const t = await startTestApp();
  try {
    const user = await t.post('/v2/auth/register', {
      email: uniqueEmail('logout'),
      password: STRONG_PASSWORD,
    });
    const token = user.body.access_token as string;
    assert.equal((await t.get('/v2/me', bearer(token))).status, 200);
    const logout = await t.post('/v2/auth/logout', { refresh_token: user.body.refresh_token }, bearer(token));
    assert.equal(logout.status, 204, JSON.stringify(logout.body));
    assert.equal((await t.get('/v2/me', bearer(token))).status, 401);
  } finally {
    await t.close();
  }
});
