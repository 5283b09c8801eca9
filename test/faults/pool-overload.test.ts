// Overload: more concurrent requests than pooled connections while the database is slow. With
// DATABASE_MAX_CONNECTIONS=2 and DATABASE_POOL_TIMEOUT=500ms, a request that cannot get a connection in
// time must get 503 + Retry-After instead of queueing without bound; latency stays bounded, the process's
// memory stays flat across repeated bursts, and service is normal again once the database is.
//
// "Slow database" is made real and deterministic: another session holds an exclusive lock on `users`, so
// the two pooled connections block inside their login lookups until it is released (or the statement
// timeout ends them), and every other request waits for the pool.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { FAST_ARGON2, STRONG_PASSWORD } from '../support/app.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli.js';
import { createTestDatabase, urlFor, type TestDatabase } from '../support/db.js';
import { ADMIN_URL, unlessAvailable } from '../support/env.js';
import { problemWith503, rssMiB, sleep, timedRequest, type Timed } from '../support/load.js';

const POOL_TIMEOUT_MS = 500;
const STATEMENT_TIMEOUT_MS = 4_000;
// Longer than the statement timeout: with a direct connection the two stuck requests are cut at 4 s.
// (Through PgBouncer configured for production the role's own timeout applies instead; they then finish
// when the lock goes.)
const LOCK_MS = 5_000;
const BURST = 100;
const BURSTS = 4;
// Scheduling slack on a shared 2-core machine.
const SLACK_MS = 3_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

void describe(
  'pool overload: bounded queueing',
  { skip: unlessAvailable({ postgres: true }), timeout: 180_000 },
  () => {
    let db: TestDatabase;
    let server: ServerProcess;
    const emails = Array.from({ length: 5 }, (_, i) => `overload.${i}@example.com`);

    before(async () => {
      db = await createTestDatabase();
      const migrated = await runCli(['migrate'], db.env);
      assert.equal(migrated.code, 0, migrated.stderr);
      server = await startServerProcess({
        ...db.env,
        DATABASE_MAX_CONNECTIONS: '2',
        DATABASE_POOL_TIMEOUT: `${POOL_TIMEOUT_MS}ms`,
        DATABASE_STATEMENT_TIMEOUT: `${STATEMENT_TIMEOUT_MS}ms`,
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_ACCOUNT: '1000000',
        RATE_LIMIT_FAILURES_PER_IP: '1000000',
        RATE_LIMIT_PER_CLIENT: '1000000',
        // 20 logins per account at once: more than a lockout lets be checked in parallel (this is not
        // about abuse protection).
        LOGIN_MAX_FAILURES: '1000',
        ...FAST_ARGON2,
        SIGNING_MASTER_KEY: 'b'.repeat(64),
        SECRETBOX_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      });
      for (const email of emails) {
        const r = await timedRequest(server.url, 'POST', '/v2/auth/register', {
          email,
          password: STRONG_PASSWORD,
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
    });

    after(async () => {
      if (server) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      if (db) await db.drop();
    });

    /**
     * Holds ACCESS EXCLUSIVE on users for `ms`, from a session of its own. Resolves, once released, to the
     * performance.now() at which the lock went.
     */
    async function lockUsers(ms: number): Promise<() => Promise<number>> {
      const client = new pg.Client({ connectionString: urlFor(ADMIN_URL!, db.name!) });
      await client.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const release = sleep(ms).then(async () => {
        const at = performance.now();
        await client.query('ROLLBACK');
        await client.end();
        return at;
      });
      return () => release;
    }

    const login = (i: number) =>
      timedRequest(
        server.url,
        'POST',
        '/v2/auth/login',
        { email: emails[i % emails.length], password: STRONG_PASSWORD },
        { timeoutMs: 30_000 },
      );

    test('a burst far above the pool gets 503s within the pool timeout, not an unbounded queue; RSS stays flat', async (t) => {
      const pid = server.child.pid!;
      // Warm up (JIT, pools, buffers) with one burst, then measure.
      const warm = await lockUsers(LOCK_MS);
      await Promise.all(Array.from({ length: BURST }, (_, i) => login(i)));
      await warm();
      await sleep(500);
      const rssBefore = rssMiB(pid);

      const all: Timed[] = [];
      // 503s that came back while the database was still stuck: refused by the pool, not queued.
      let refusedEarly = 0;
      for (let burst = 0; burst < BURSTS; burst++) {
        const released = await lockUsers(LOCK_MS);
        const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => login(i)));
        all.push(...responses);
        const releasedAt = await released();
        refusedEarly += responses.filter((r) => r.status === 503 && r.end < releasedAt).length;
      }
      await sleep(500);
      const rssAfter = rssMiB(pid);

      const unavailable = all.filter((r) => r.status === 503);
      const latencies = all.map((r) => r.ms);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const max = Math.max(...latencies);
      t.diagnostic(
        `${all.length} logins in ${BURSTS} bursts of ${BURST} on 2 connections: ` +
          `${all.filter((r) => r.status === 200).length} ok, ${unavailable.length} 503 ` +
          `(${refusedEarly} of them before the lock was released); ` +
          `latency p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms, max ${Math.round(max)} ms; ` +
          `RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MiB`,
      );

      for (const r of all) {
        assert.ok(r.status === 200 || r.status === 503, `${r.status} ${r.error ?? JSON.stringify(r.body)}`);
        if (r.status === 503) assert.equal(problemWith503(r), null, JSON.stringify(r.body));
      }
      // Most of each burst cannot get a connection while the two are stuck: refused after the pool
      // timeout, while the database is still stuck, instead of queueing until it recovers.
      assert.ok(
        refusedEarly >= all.length * 0.8,
        `only ${refusedEarly} of ${all.length} were refused before the lock was released: requests queued`,
      );
      // Those refused waited about the pool timeout, not for the lock (plus scheduling on a busy machine).
      const refusedLatency = percentile(
        unavailable.map((r) => r.ms),
        90,
      );
      assert.ok(
        refusedLatency <= POOL_TIMEOUT_MS + SLACK_MS && refusedLatency < LOCK_MS,
        `p90 of the 503s took ${Math.round(refusedLatency)} ms (DATABASE_POOL_TIMEOUT ${POOL_TIMEOUT_MS} ms)`,
      );
      // Nothing waits beyond the longest the server may legitimately take.
      assert.ok(
        max <= Math.max(LOCK_MS, STATEMENT_TIMEOUT_MS) + SLACK_MS,
        `slowest request ${Math.round(max)} ms`,
      );
      assert.ok(rssAfter - rssBefore < 40, `RSS grew ${(rssAfter - rssBefore).toFixed(1)} MiB`);

      // The pool drained and the service is normal again.
      const text = await (await fetch(`${server.managementUrl}/metrics`)).text();
      assert.match(text, /^hellojohn_db_pool_waiting 0$/m);
      const after = await Promise.all(Array.from({ length: 10 }, (_, i) => login(i)));
      for (const r of after) assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(server.child.exitCode, null);
    });
  },
);
