// Tenant settings changed through the admin API of one instance apply on another at once: two `hellojohn
// serve` processes on one PostgreSQL (directly and through PgBouncer) and one Redis. Instance B has the
// tenant cached (for 30 s) when A changes it; B must follow within the invalidation bound (1 s): switches,
// branding, token lifetimes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { AdminTokens } from '../../src/admin/admins.js';
import { openDatabase } from '../../src/db/open.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { bearer, metricValue, startCluster, type Cluster, type Instance } from '../support/cluster.js';
import { unlessAvailable } from '../support/env.js';
import { redisServerInstalled, startRedisProcess, type RedisProcess } from '../support/redis-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PROPAGATION_LIMIT_MS = 1_000;

function skipReason(needs: { pgbouncer?: boolean }): string | false {
  const missing = unlessAvailable({ postgres: true, redis: true, ...needs });
  if (missing) return missing;
  return redisServerInstalled() || process.env.TEST_REQUIRE_ALL === '1'
    ? false
    : 'needs redis-server on the PATH (the test runs a Redis of its own)';
}

async function untilSubscribed(instances: Instance[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const i of instances) {
    while (metricValue(await i.metrics(), 'hellojohn_cache_invalidation_up') !== 1) {
      if (Date.now() > deadline) throw new Error(`instance ${i.name} never subscribed to invalidations`);
      await sleep(50);
    }
  }
}

/** Milliseconds from `since` until `check` holds on `i`, or Infinity past `limitMs`. */
async function timeUntil(since: number, check: () => Promise<boolean>, limitMs: number): Promise<number> {
  while (Date.now() - since < limitMs) {
    if (await check()) return Date.now() - since;
    await sleep(10);
  }
  return Infinity;
}

for (const via of ['direct', 'pgbouncer'] as const) {
  describe(
    `tenant settings across two instances (${via}), one Redis`,
    { skip: skipReason({ pgbouncer: via === 'pgbouncer' }) },
    () => {
      let redis: RedisProcess;
      let cluster: Cluster;
      let a: Instance, b: Instance;
      let admin: Record<string, string>;

      before(async () => {
        redis = await startRedisProcess();
        cluster = await startCluster(2, { via, env: { REDIS_URL: redis.url, RATE_LIMIT_PER_IP: '10000' } });
        [a, b] = cluster.instances as [Instance, Instance];
        await untilSubscribed(cluster.instances);
        const db = await openDatabase(cluster.db.config(), pino({ level: 'silent' }));
        try {
          admin = bearer((await new AdminTokens(db).create('cluster-ops@example.com')).token);
        } finally {
          await db.close();
        }
      });
      after(async () => {
        await cluster?.close();
        await redis?.stop();
      });

      test('sign-up turned off on A: B refuses sign-ups within 1 s, though it had the tenant cached', async () => {
        assert.equal((await a.post('/v2/admin/tenants', { slug: 'shop', name: 'Shop' }, admin)).status, 201);
        // B caches the tenant (a 30 s lifetime) and still offers sign-up.
        assert.equal((await b.get('/t/shop/register')).status, 200);
        const first = await b.post('/t/shop/v2/auth/register', {
          email: uniqueEmail(),
          password: STRONG_PASSWORD,
        });
        assert.equal(first.status, 201, JSON.stringify(first.body));

        const since = Date.now();
        const off = await a.request(
          'PATCH',
          '/v2/admin/tenants/shop',
          { settings: { sign_up: { enabled: false } } },
          admin,
        );
        assert.equal(off.status, 200, JSON.stringify(off.body));
        const elapsed = await timeUntil(
          since,
          async () => (await b.get('/t/shop/register')).status === 404,
          PROPAGATION_LIMIT_MS * 5,
        );
        assert.ok(elapsed <= PROPAGATION_LIMIT_MS, `B followed after ${elapsed} ms`);
        const refused = await b.post('/t/shop/v2/auth/register', {
          email: uniqueEmail(),
          password: STRONG_PASSWORD,
        });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.error, 'signup_disabled');
      });

      test("branding changed on B shows on A's pages within 1 s", async () => {
        const page = async (i: Instance) => (await fetch(`${i.url}/t/shop/login`)).text();
        assert.ok(!(await page(a)).includes('#7c2d12'));
        const since = Date.now();
        const res = await b.request(
          'PATCH',
          '/v2/admin/tenants/shop',
          { settings: { branding: { primary_color: '#7c2d12' } } },
          admin,
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const elapsed = await timeUntil(
          since,
          async () => (await page(a)).includes('--primary:#7c2d12'),
          5_000,
        );
        assert.ok(elapsed <= PROPAGATION_LIMIT_MS, `A followed after ${elapsed} ms`);
      });

      test("an access token lifetime set on A: B's tokens follow within 1 s", async () => {
        assert.equal(
          (await a.post('/v2/admin/tenants', { slug: 'timed', name: 'Timed' }, admin)).status,
          201,
        );
        const email = uniqueEmail();
        const registered = await b.post('/t/timed/v2/auth/register', { email, password: STRONG_PASSWORD });
        assert.equal(registered.status, 201, JSON.stringify(registered.body));
        const login = await b.post('/t/timed/v2/auth/login', { email, password: STRONG_PASSWORD });
        assert.equal(login.body.expires_in, 900, 'ACCESS_TTL by default; B has the tenant cached');
        let refreshToken = String(login.body.refresh_token);
        const since = Date.now();
        const res = await a.request(
          'PATCH',
          '/v2/admin/tenants/timed',
          { settings: { lifetimes: { access_token: 120 } } },
          admin,
        );
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const elapsed = await timeUntil(
          since,
          async () => {
            const refreshed = await b.post('/t/timed/v2/auth/refresh', { refresh_token: refreshToken });
            refreshToken = String(refreshed.body.refresh_token);
            return refreshed.body.expires_in === 120;
          },
          5_000,
        );
        assert.ok(elapsed <= PROPAGATION_LIMIT_MS, `B followed after ${elapsed} ms`);
      });
    },
  );
}
