// Redis killed in the middle of a load of logins and session checks on two instances: every request is
// answered, none with a 5xx, /ready stays ready, and once Redis is back the session cache is used again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { bearer, metricValue, startCluster, type Instance } from '../support/cluster.js';
import { unlessAvailable } from '../support/env.js';
import { redisServerInstalled, startRedisProcess } from '../support/redis-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const skip =
  unlessAvailable({ postgres: true, redis: true }) ||
  (redisServerInstalled() || process.env.TEST_REQUIRE_ALL === '1'
    ? false
    : 'needs redis-server on the PATH (the test runs a Redis of its own)');

const metric = async (i: Instance, name: string, labels: Record<string, string> = {}) =>
  metricValue(await i.metrics(), name, labels);
const hits = (i: Instance) =>
  metric(i, 'hellojohn_cache_requests_total', { cache: 'session', result: 'hit' });

/** Bounded wait for a gauge on every instance. */
async function until(instances: Instance[], name: string, value: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const i of instances) {
    while ((await metric(i, name)) !== value) {
      if (Date.now() > deadline)
        throw new Error(`${name} on ${i.name} did not become ${value} in ${timeoutMs} ms`);
      await sleep(50);
    }
  }
}

test(
  'Redis killed during logins and session checks: no 5xx, nothing unanswered; back: cache used again',
  { skip },
  async (t) => {
    const redis = await startRedisProcess();
    const cluster = await startCluster(2, {
      env: {
        REDIS_URL: redis.url,
        // No session cache without Redis, so cache hits in the metrics can only come from Redis-backed mode.
        SESSION_CACHE_TTL: '0',
        RATE_LIMIT_PER_IP: '100000',
        RATE_LIMIT_PER_ACCOUNT: '100000',
        RATE_LIMIT_FAILURES_PER_IP: '100000',
        RATE_LIMIT_PER_CLIENT: '100000',
      },
    });
    const [a, b] = cluster.instances as [Instance, Instance];
    let stop = false;
    let load: Promise<unknown> = Promise.resolve();
    try {
      await until(cluster.instances, 'hellojohn_cache_invalidation_up', 1);
      const users: { email: string; token: string }[] = [];
      for (let n = 0; n < 6; n++) {
        const email = uniqueEmail('outage');
        const r = await cluster.instances[n % 2]!.post('/v2/auth/register', {
          email,
          password: STRONG_PASSWORD,
        });
        assert.equal(r.status, 201);
        users.push({ email, token: r.body.access_token as string });
      }

      // The load: 6 workers, each alternating instances; 1 request in 5 is a login, the rest session checks.
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      let sent = 0;
      let answered = 0;
      const worker = async (w: number) => {
        for (let n = 0; !stop && n < 100_000; n++) {
          const target = cluster.instances[(w + n) % 2]!;
          const user = users[(w * 7 + n) % users.length]!;
          sent++;
          try {
            const r =
              n % 5 === 0
                ? await target.post('/v2/auth/login', { email: user.email, password: STRONG_PASSWORD })
                : await target.get('/v2/me', bearer(user.token));
            answered++;
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          } catch (error) {
            failures.push(`${target.name}: ${(error as Error).message}`);
          }
        }
      };
      load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));

      await sleep(1_500);
      await redis.kill();
      await until(cluster.instances, 'hellojohn_cache_invalidation_up', 0);
      await until(cluster.instances, 'hellojohn_redis_up', 0);
      const hitsWhileDown = [await hits(a), await hits(b)];
      const sentAtKill = sent;
      await sleep(2_000);
      for (const i of cluster.instances)
        assert.equal((await i.get('/ready')).status, 200, `${i.name} stays ready`);
      assert.deepEqual(
        [await hits(a), await hits(b)],
        hitsWhileDown,
        'without Redis (and SESSION_CACHE_TTL=0) every session check reads the database',
      );
      const duringOutage = sent - sentAtKill;

      await redis.restart();
      await until(cluster.instances, 'hellojohn_cache_invalidation_up', 1);
      await until(cluster.instances, 'hellojohn_redis_up', 1);
      const hitsBack = [await hits(a), await hits(b)];
      await sleep(1_500);
      stop = true;
      await load;

      const hitsAfter = [await hits(a), await hits(b)];
      t.diagnostic(
        `${sent} requests (${duringOutage} while Redis was down), statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `session cache hits after Redis returned: A +${hitsAfter[0]! - hitsBack[0]!}, B +${hitsAfter[1]! - hitsBack[1]!}`,
      );
      assert.deepEqual(failures, [], 'every request got an answer');
      assert.equal(answered, sent);
      const fivexx = [...statuses].filter(([status]) => status >= 500);
      assert.deepEqual(fivexx, [], 'no 5xx');
      assert.deepEqual([...statuses.keys()], [200], 'every login and session check succeeded');
      assert.ok(duringOutage > 20, `the load kept running while Redis was down (${duringOutage} requests)`);
      for (const [n, i] of [a, b].entries()) {
        assert.ok(hitsAfter[n]! > hitsBack[n]! + 10, `${i.name} answers from its session cache again`);
        // The outage is logged once per instance, not once per request or reconnect attempt.
        const warnings = i.server.logs().match(/Redis unavailable/g) ?? [];
        assert.equal(warnings.length, 1, `${i.name} warned once about Redis`);
      }
    } finally {
      stop = true;
      await load;
      await cluster.close();
      await redis.stop();
    }
  },
);
