import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, startServerProcess } from './support/cli.js';
import { adminQuery, createTestDatabase } from './support/db.js';
import { unlessAvailable } from './support/env.js';

test(
  'DATABASE_MAX_CONNECTIONS=3 caps the backends the server opens under 50 concurrent requests',
  { skip: unlessAvailable({ postgres: true }) },
  async () => {
    const db = await createTestDatabase();
    const migrated = await runCli(['migrate'], db.env);
    assert.equal(migrated.code, 0, migrated.stderr);
    const server = await startServerProcess({ ...db.env, DATABASE_MAX_CONNECTIONS: '3' });
    try {
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const rows = await adminQuery<{ n: number }>(
            'postgres',
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hellojohn'`,
            [db.name],
          );
          peak = Math.max(peak, rows[0]!.n);
        }
      })();
      // /ready reads the migration ledger: every request needs a connection.
      for (let round = 0; round < 5; round++) {
        const responses = await Promise.all(Array.from({ length: 50 }, () => fetch(`${server.url}/ready`)));
        for (const response of responses) assert.equal(response.status, 200);
      }
      sampling = false;
      await sampler;
      assert.ok(peak >= 1, 'the sampler saw the server connected');
      assert.ok(peak <= 3, `at most 3 backends, saw ${peak}`);
    } finally {
      assert.equal(await server.stop(), 0);
      await db.drop();
    }
  },
);
