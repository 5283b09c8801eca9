import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail } from '../support/app.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a session unused for SESSION_IDLE_TTL ends: its refresh token and access token stop working', async () => {
  const t = await startTestApp({ SESSION_IDLE_TTL: '2s' });
  try {
    const user = await t.post('/v2/auth/register', { email: uniqueEmail('idle'), password: STRONG_PASSWORD });
    await sleep(2_500);
    assert.equal((await t.post('/v2/auth/refresh', { refresh_token: user.body.refresh_token })).status, 400);
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${user.body.access_token as string}` })).status,
      401,
    );
  } finally {
    await t.close();
  }
});

test('a session ends at SESSION_TTL however active it is', async () => {
  const t = await startTestApp({ SESSION_TTL: '3s' });
  try {
    const user = await t.post('/v2/auth/register', {
      email: uniqueEmail('absolute'),
      password: STRONG_PASSWORD,
    });
    await sleep(1_000);
    const refreshed = await t.post('/v2/auth/refresh', { refresh_token: user.body.refresh_token });
    assert.equal(refreshed.status, 200, 'still inside the absolute lifetime');
    await sleep(2_500);
    assert.equal(
      (await t.post('/v2/auth/refresh', { refresh_token: refreshed.body.refresh_token })).status,
      400,
    );
  } finally {
    await t.close();
  }
});
