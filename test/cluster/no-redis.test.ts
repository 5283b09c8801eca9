// Without Redis, instances cannot tell each other about revocations: each caches a session for at most
// SESSION_CACHE_TTL, so a revocation made on one is effective on the others within that time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { bearer, metricValue, startCluster, type Instance } from '../support/cluster.js';
import { unlessAvailable } from '../support/env.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TTL_MS = 2_000;
/** Time for one poll round trip on a busy test machine, on top of the TTL. */
const SLACK_MS = 300;

const hits = async (i: Instance) =>
  metricValue(await i.metrics(), 'hellojohn_cache_requests_total', { cache: 'session', result: 'hit' });

test(
  'without Redis, a session revoked on A is rejected by B and C within SESSION_CACHE_TTL',
  { skip: unlessAvailable({ postgres: true }) },
  async (t) => {
    const cluster = await startCluster(3, { env: { SESSION_CACHE_TTL: `${TTL_MS}ms` } });
    const [a, b, c] = cluster.instances as [Instance, Instance, Instance];
    try {
      const user = await a.post('/v2/auth/register', {
        email: uniqueEmail('ttl'),
        password: STRONG_PASSWORD,
      });
      assert.equal(user.status, 201);
      const auth = bearer(user.body.access_token);
      for (const i of [a, b, c]) {
        assert.equal((await i.get('/v2/me', auth)).status, 200);
        const before = await hits(i);
        assert.equal((await i.get('/v2/me', auth)).status, 200);
        assert.equal(await hits(i), before + 1, `${i.name} caches the session`);
      }
      const metrics = await b.metrics();
      assert.equal(metricValue(metrics, 'hellojohn_cache_invalidation_up'), 0);

      const since = Date.now();
      assert.equal((await a.post('/v2/auth/logout', {}, auth)).status, 204);
      // The instance that revoked it forgets it at once.
      assert.equal((await a.get('/v2/me', auth)).status, 401);
      const elapsed = await Promise.all(
        [b, c].map(async (i) => {
          while (Date.now() - since < TTL_MS * 3) {
            if ((await i.get('/v2/me', auth)).status === 401) return Date.now() - since;
            await sleep(20);
          }
          return Infinity;
        }),
      );
      t.diagnostic(
        `revocation seen by B after ${elapsed[0]} ms, by C after ${elapsed[1]} ms (TTL ${TTL_MS} ms)`,
      );
      for (const ms of elapsed) assert.ok(ms <= TTL_MS + SLACK_MS, `still accepted after ${ms} ms`);
    } finally {
      await cluster.close();
    }
  },
);
