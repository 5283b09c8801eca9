// Three `hellojohn serve` processes on one PostgreSQL (directly, and through PgBouncer) and one Redis
// behave as one service: a token from one verifies on another, a revocation on one is seen by the others
// within a second (although they cache sessions for a minute), and login failures add up to one lockout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { bearer, metricValue, startCluster, type Cluster, type Instance } from '../support/cluster.js';
import { unlessAvailable } from '../support/env.js';
import { redisServerInstalled, startRedisProcess, type RedisProcess } from '../support/redis-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bound the issue sets: a revocation on one instance is effective on all the others within 1 s. */
const PROPAGATION_LIMIT_MS = 1_000;

function skipReason(needs: { pgbouncer?: boolean }): string | false {
  const missing = unlessAvailable({ postgres: true, redis: true, ...needs });
  if (missing) return missing;
  return redisServerInstalled() || process.env.TEST_REQUIRE_ALL === '1'
    ? false
    : 'needs redis-server on the PATH (the test runs a Redis of its own)';
}

const sessionHits = async (i: Instance) =>
  metricValue(await i.metrics(), 'hellojohn_cache_requests_total', { cache: 'session', result: 'hit' });

/** Waits until every instance has live cross-instance invalidation (its Redis subscription is up). */
async function untilSubscribed(instances: Instance[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const i of instances) {
    while (metricValue(await i.metrics(), 'hellojohn_cache_invalidation_up') !== 1) {
      if (Date.now() > deadline) throw new Error(`instance ${i.name} never subscribed to invalidations`);
      await sleep(50);
    }
  }
}

/**
 * Polls `check` on each instance until it reports the session gone; returns the milliseconds from
 * `since` until each did. Bounded: gives up (and returns Infinity) after `limitMs`.
 */
async function timeUntilRejected(
  instances: Instance[],
  since: number,
  check: (i: Instance) => Promise<number>,
  limitMs: number,
): Promise<number[]> {
  return Promise.all(
    instances.map(async (i) => {
      while (Date.now() - since < limitMs) {
        if ((await check(i)) === 401) return Date.now() - since;
        await sleep(10);
      }
      return Infinity;
    }),
  );
}

for (const via of ['direct', 'pgbouncer'] as const) {
  describe(
    `three instances, one PostgreSQL (${via}), one Redis`,
    {
      skip: skipReason({ pgbouncer: via === 'pgbouncer' }),
    },
    () => {
      let redis: RedisProcess;
      let cluster: Cluster;
      let a: Instance, b: Instance, c: Instance;

      before(async () => {
        redis = await startRedisProcess();
        cluster = await startCluster(3, {
          via,
          env: {
            REDIS_URL: redis.url,
            LOGIN_MAX_FAILURES: '4',
            LOGIN_LOCKOUT: '60s',
            RATE_LIMIT_PER_IP: '10000',
            RATE_LIMIT_PER_ACCOUNT: '10000',
            RATE_LIMIT_FAILURES_PER_IP: '10000',
            RATE_LIMIT_PER_CLIENT: '10000',
          },
        });
        [a, b, c] = cluster.instances as [Instance, Instance, Instance];
        await untilSubscribed(cluster.instances);
      });

      after(async () => {
        await cluster?.close();
        await redis?.stop();
      });

      test('a token issued by A verifies on C, and C then answers from its cache', async () => {
        const user = await a.post('/v2/auth/register', {
          email: uniqueEmail('cluster'),
          password: STRONG_PASSWORD,
        });
        assert.equal(user.status, 201);
        const me = await c.get('/v2/me', bearer(user.body.access_token));
        assert.equal(me.status, 200);
        assert.equal(me.body.id, (user.body.user as { id: string }).id);
        const hits = await sessionHits(c);
        assert.equal((await c.get('/v2/me', bearer(user.body.access_token))).status, 200);
        assert.equal(await sessionHits(c), hits + 1, 'the second check on C is a cache hit');
      });

      test('a bearer session revoked via A is rejected by B and C within 1 s', async (t) => {
        const user = await a.post('/v2/auth/register', {
          email: uniqueEmail('revoke'),
          password: STRONG_PASSWORD,
        });
        const auth = bearer(user.body.access_token);
        // Warm B's and C's caches, and prove they now answer without the database.
        for (const i of [b, c]) {
          assert.equal((await i.get('/v2/me', auth)).status, 200);
          const hits = await sessionHits(i);
          assert.equal((await i.get('/v2/me', auth)).status, 200);
          assert.equal(await sessionHits(i), hits + 1, `${i.name} serves the session from its cache`);
        }

        const since = Date.now();
        assert.equal((await a.post('/v2/auth/logout', {}, auth)).status, 204);
        const elapsed = await timeUntilRejected(
          [b, c],
          since,
          async (i) => (await i.get('/v2/me', auth)).status,
          PROPAGATION_LIMIT_MS * 3,
        );
        t.diagnostic(`revocation seen by B after ${elapsed[0]} ms, by C after ${elapsed[1]} ms`);
        for (const [n, ms] of elapsed.entries()) {
          assert.ok(
            ms <= PROPAGATION_LIMIT_MS,
            `instance ${[b, c][n]!.name} still accepted the session after ${ms} ms`,
          );
        }
      });

      test('logout everywhere and a browser session ended via A are seen by B and C within 1 s', async (t) => {
        const email = uniqueEmail('browser');
        const user = await a.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
        const login = await fetch(`${a.url}/v2/session/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: STRONG_PASSWORD }),
        });
        assert.equal(login.status, 200);
        const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
        const auth = bearer(user.body.access_token);
        for (const i of [a, b, c]) {
          for (let n = 0; n < 2; n++) {
            assert.equal((await i.get('/v2/session', { cookie })).status, 200);
            assert.equal((await i.get('/v2/me', auth)).status, 200);
          }
        }

        const since = Date.now();
        assert.equal((await a.request('DELETE', '/v2/session', undefined, { cookie })).status, 204);
        const cookieElapsed = await timeUntilRejected(
          [b, c],
          since,
          async (i) => (await i.get('/v2/session', { cookie })).status,
          PROPAGATION_LIMIT_MS * 3,
        );
        const since2 = Date.now();
        assert.equal((await c.post('/v2/auth/logout', { all: true }, auth)).status, 204);
        const allElapsed = await timeUntilRejected(
          [a, b],
          since2,
          async (i) => (await i.get('/v2/me', auth)).status,
          PROPAGATION_LIMIT_MS * 3,
        );
        t.diagnostic(
          `cookie session end seen after ${cookieElapsed.join(', ')} ms; logout-all after ${allElapsed.join(', ')} ms`,
        );
        for (const ms of [...cookieElapsed, ...allElapsed])
          assert.ok(ms <= PROPAGATION_LIMIT_MS, `seen after ${ms} ms`);
      });

      test('login failures counted on three instances lock the account on all of them', async () => {
        const email = uniqueEmail('lockout');
        assert.equal((await a.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
        for (const i of [a, b, c, a]) {
          assert.equal((await i.post('/v2/auth/login', { email, password: 'Wrong-Password-1' })).status, 401);
        }
        for (const i of [a, b, c]) {
          assert.equal(
            (await i.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status,
            429,
            `instance ${i.name} refuses the right password: the account is locked`,
          );
        }
      });
    },
  );
}
