// The management commands announce their changes to running servers: with REDIS_URL, a client changed
// by `hellojohn clients …` reaches the invalidation channel every server listens on, so no server keeps
// serving the old secret or settings from its cache.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { INVALIDATION_CHANNEL } from '../../src/cache/invalidation.js';
import { FAST_ARGON2 } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { REDIS_URL, unlessAvailable } from '../support/env.js';

let testDb: TestDatabase;
let env: Record<string, string>;
before(async () => {
  testDb = await createTestDatabase();
  env = { ...testDb.env, ...FAST_ARGON2, ...(REDIS_URL ? { REDIS_URL } : {}) };
  const migrated = await runCli(['migrate'], env);
  assert.equal(migrated.code, 0, migrated.stderr);
});
after(() => testDb.drop());

test(
  'clients create and rotate-secret publish an invalidation that servers receive',
  { skip: unlessAvailable({ redis: true }) },
  async () => {
    const subscriber = new Redis(REDIS_URL!);
    const messages: { kind: string; ids?: string[] }[] = [];
    await subscriber.subscribe(INVALIDATION_CHANNEL);
    subscriber.on('message', (_channel, payload: string) =>
      messages.push(JSON.parse(payload) as { kind: string; ids?: string[] }),
    );
    try {
      const created = await runCli(
        [
          'clients',
          'create',
          '--name',
          'Cached',
          '--type',
          'confidential',
          '--redirect-uri',
          'https://app.example.com/cb',
          '--json',
        ],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const clientId = (JSON.parse(created.stdout) as { client_id: string }).client_id;
      const rotated = await runCli(['clients', 'rotate-secret', clientId, '--json'], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const aboutClient = messages.filter((m) => m.kind === 'client' && m.ids?.includes(clientId));
      assert.ok(aboutClient.length >= 1, `an invalidation of ${clientId}: ${JSON.stringify(messages)}`);
    } finally {
      subscriber.disconnect();
    }
  },
);
