// Optional Redis: rate limits and lockout shared by every instance; Redis down never fails a request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { openDatabase } from '../src/db/open.js';
import { LoginLockout, redisRateLimitStore } from '../src/security/rate-limit.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail } from './support/app.js';
import { REDIS_URL, unlessAvailable } from './support/env.js';
import { freePort } from './support/net.js';

test(
  'with REDIS_URL, login failures on two instances add up to one lockout',
  { skip: unlessAvailable({ postgres: true, redis: true }) },
  async () => {
    const env = { REDIS_URL: REDIS_URL!, LOGIN_MAX_FAILURES: '4', LOGIN_LOCKOUT: '60s' };
    const a = await startTestApp(env);
    // A second instance on the same database and the same Redis.
    const config = a.testDb.config({ ...env, ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' });
    const logger = pino({ level: 'silent' });
    const db = await openDatabase(config, logger);
    const b = await buildApp(config, { db, logger, sweeper: false });
    const port = await freePort();
    await b.listen({ host: '127.0.0.1', port });
    const postB = (path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const email = uniqueEmail('shared');
      assert.equal((await a.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
      for (let i = 0; i < 2; i++) {
        assert.equal((await a.post('/v2/auth/login', { email, password: 'Wrong-Password-1' })).status, 401);
        assert.equal((await postB('/v2/auth/login', { email, password: 'Wrong-Password-1' })).status, 401);
      }
      assert.equal((await a.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 429);
      assert.equal((await postB('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 429);
      const metrics = await (await fetch(`${a.managementBase}/metrics`)).text();
      assert.match(metrics, /^hellojohn_redis_up 1$/m);
    } finally {
      await b.close();
      await db.close();
      await a.close();
    }
  },
);

test('with Redis unreachable, requests keep working on in-memory limits and /ready stays ready', async () => {
  const deadPort = await freePort();
  const t = await startTestApp({
    REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    LOGIN_MAX_FAILURES: '2',
    LOGIN_LOCKOUT: '60s',
  });
  try {
    const email = uniqueEmail('noredis');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(registered.status, 201);
    assert.equal((await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal(
      (await t.post('/v2/auth/refresh', { refresh_token: registered.body.refresh_token })).status,
      200,
    );
    for (let i = 0; i < 2; i++) {
      assert.equal((await t.post('/v2/auth/login', { email, password: 'Wrong-Password-1' })).status, 401);
    }
    assert.equal(
      (await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status,
      429,
      'the in-memory insurance limiter still enforces the lockout',
    );
    assert.equal((await t.get('/ready')).status, 200);
    assert.match(await (await fetch(`${t.managementBase}/metrics`)).text(), /^hellojohn_redis_up 0$/m);
  } finally {
    await t.close();
  }
});

test(
  'the Redis store refunds points and reserves lockout attempts across callers like the memory store',
  { skip: unlessAvailable({ redis: true }) },
  async () => {
    const client = new Redis(REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const prefix = `hellojohn:test:${process.pid}:${Date.now()}:`;
      const store = redisRateLimitStore(client, prefix);
      const limiter = store.limiter({ name: 'refund', points: 2, durationSeconds: 60 });
      assert.equal((await limiter.consume('k', 2)).allowed, true);
      await limiter.refund('k');
      assert.deepEqual(await limiter.consume('k'), { allowed: true, remaining: 0, retryAfterSeconds: 0 });

      // A refund that arrives after its window ended leaves no credit in the next one.
      const short = store.limiter({ name: 'late-refund', points: 2, durationSeconds: 1 });
      assert.equal((await short.consume('k', 2)).allowed, true);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await short.refund('k');
      await short.refund('k');
      const next = await Promise.all(Array.from({ length: 4 }, () => short.consume('k')));
      assert.equal(next.filter((r) => r.allowed).length, 2, 'exactly N in the new window');

      // Two instances sharing Redis: parallel attempts on one account hold the same failure points.
      const lockout = new LoginLockout(store, { maxFailures: 3, lockoutMs: 60_000 });
      const other = new LoginLockout(redisRateLimitStore(client, prefix), {
        maxFailures: 3,
        lockoutMs: 60_000,
      });
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? lockout : other).attempt('t:a@example.com')),
      );
      const admitted = attempts.flatMap((a) => (a.locked ? [] : [a]));
      assert.equal(admitted.length, 3);
      // The refused ones took nothing: once the three end without a verdict, three more are admitted.
      await Promise.all(admitted.map((a) => a.abandoned()));
      const again = await Promise.all(Array.from({ length: 4 }, () => other.attempt('t:a@example.com')));
      assert.equal(again.filter((a) => !a.locked).length, 3);
    } finally {
      const keys = await client.keys('hellojohn:test:*');
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
  },
);
