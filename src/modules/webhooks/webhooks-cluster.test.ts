// At least once, across instances: two `hellojohn serve` processes share one database; the receiver (its
// own process) is down while events happen on both, then hangs (requests in flight time out) while one
// instance is killed with its claims in flight and started again; once the receiver is back, every event
// of the endpoint's filter has been delivered and acknowledged (valid signature), none lost, whichever
// instance wrote it or sent it. The endpoint is created with the CLI (`hellojohn webhooks create`).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import { runCli, startServerProcess, type ServerProcess } from '../../../test/support/cli.js';
import { CLUSTER_BASE_URL, startCluster, type Cluster } from '../../../test/support/cluster.js';
import { unlessAvailable } from '../../../test/support/env.js';
import { startReceiver, waitFor, type Receiver } from '../../../test/support/webhook-receiver.js';

describe('webhooks across two instances and a restart', { skip: unlessAvailable({ postgres: true }) }, () => {
  let cluster: Cluster;
  let receiver: Receiver;
  let env: Record<string, string>;
  let dataDir: string;
  let restarted: ServerProcess | undefined;

  before(async () => {
    receiver = await startReceiver();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'hj-webhooks-cluster-'));
    const shared = {
      SECRETBOX_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGNING_MASTER_KEY: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_POLL_INTERVAL: '100ms',
      WEBHOOK_BACKOFF_BASE: '200ms',
      WEBHOOK_BACKOFF_MAX: '1s',
      WEBHOOK_MAX_ATTEMPTS: '30',
      WEBHOOK_TIMEOUT: '1s',
      WEBHOOK_CONCURRENCY: '5',
    };
    cluster = await startCluster(2, { env: shared });
    env = {
      ...cluster.db.env,
      ...FAST_ARGON2,
      BASE_URL: CLUSTER_BASE_URL,
      SWEEPER_INTERVAL: '1h',
      ...shared,
    };
  });
  after(async () => {
    await restarted?.stop();
    await cluster?.close();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every event is delivered once acknowledged, none lost', async () => {
    const [a, b] = cluster.instances as [Cluster['instances'][0], Cluster['instances'][0]];
    const created = await runCli(
      ['webhooks', 'create', '--url', receiver.url('cluster'), '--events', 'user.*,login.failed', '--json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const endpoint = JSON.parse(created.stdout) as { id: string; secret: string; events: string[] };
    assert.deepEqual(endpoint.events, ['user.*', 'login.failed']);
    receiver.configure('cluster', endpoint.secret);
    const listed = await runCli(['webhooks', 'list'], env);
    assert.match(listed.stdout, new RegExp(endpoint.id));
    assert.doesNotMatch(listed.stdout, /whsec_/);

    const happen = async (url: string, count: number) => {
      for (let i = 0; i < count; i++) {
        const email = uniqueEmail('cluster-hook');
        const registered = await fetch(`${url}/v2/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: STRONG_PASSWORD }),
        });
        assert.equal(registered.status, 201);
        const failed = await fetch(`${url}/v2/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'not-the-password' }),
        });
        assert.equal(failed.status, 401);
      }
    };

    // The receiver is down: attempts are refused and retried.
    await receiver.stop(true);
    await Promise.all([happen(a.url, 4), happen(b.url, 4)]);
    await waitFor('failed attempts', async () => {
      const rows = await cluster.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_attempts`);
      return rows[0]!.n >= 24;
    });

    // Back, but hanging: attempts in flight time out. B dies with its claims in flight.
    await receiver.start();
    receiver.pause();
    await happen(b.url, 2);
    await new Promise((r) => setTimeout(r, 400));
    await b.server.stop('SIGKILL');
    await happen(a.url, 2);
    restarted = await startServerProcess({ ...env, MIGRATE_ON_START: 'false' });
    await happen(restarted.url, 2);
    receiver.resume();

    const expected = await cluster.db.sql<{ id: string }>(
      `SELECT id::text AS id FROM audit_events WHERE type LIKE 'user.%' OR type = 'login.failed'`,
    );
    // 14 sign-ups: user.registered, user.login and login.failed each.
    assert.equal(expected.length, 42);
    await waitFor(
      'every delivery acknowledged',
      async () => {
        const rows = await cluster.db.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'delivered'`,
        );
        return rows[0]!.n === 0;
      },
      60_000,
    );
    const deliveries = await cluster.db.sql<{ id: string; event_id: string; attempts: number }>(
      `SELECT id, event_id, attempts FROM webhook_deliveries`,
    );
    assert.deepEqual(
      deliveries.map((d) => d.event_id).sort(),
      expected.map((e) => e.id).sort(),
      'one delivery per event',
    );
    const received = receiver.received('cluster');
    const acknowledged = new Set(
      received.filter((r) => r.valid && r.status === 200).map((r) => r.delivery_id),
    );
    for (const d of deliveries) assert.ok(acknowledged.has(d.id), `delivery ${d.id} acknowledged`);
    assert.ok(
      received.every((r) => r.valid),
      'every request signed with the secret',
    );
    const events = new Set(received.map((r) => (JSON.parse(r.body) as { id: string }).id));
    assert.equal(events.size, 42);
    assert.ok(
      deliveries.some((d) => d.attempts > 1),
      'retries happened',
    );
    const lost = await cluster.db.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries d
        WHERE d.attempts > (SELECT count(*) FROM webhook_attempts a WHERE a.delivery_id = d.id)`,
    );
    const timeouts = await cluster.db.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_attempts WHERE error LIKE 'timed out%'`,
    );
    // Claims B held when it died (counted, never logged) were taken again once their lease ended.
    assert.ok(lost[0]!.n >= 1, 'B died with deliveries in flight');
    assert.ok(timeouts[0]!.n >= 1, 'attempts to the hanging receiver timed out');
  });
});
