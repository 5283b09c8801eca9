// Webhook delivery throughput of one instance: a backlog of events (audit rows inserted at once, each
// fanned out by the outbox trigger to one endpoint) is delivered to a local receiver that answers 204 and
// checks nothing; the measured window runs from the backlog's commit to its last delivery. The attempt
// durations (the worker's POSTs, as logged in webhook_attempts) give the latency columns.
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Suite, SuiteContext } from '../lib/context.js';
import { percentile, type Measurement } from '../lib/load.js';
import type { Row } from '../lib/report.js';
import { HOST, freshDatabase, startHelloJohn } from '../lib/servers.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const EVENTS = 5000;
const WARMUP_EVENTS = 500;
const CONCURRENCY = 10;

async function localReceiver(context: SuiteContext): Promise<{ url: string; count: () => number }> {
  let received = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  context.resources.add('stop the webhook receiver', () => new Promise<void>((r) => server.close(() => r())));
  const address = server.address() as { port: number };
  return { url: `http://${HOST}:${address.port}/hook`, count: () => received };
}

async function backlog(db: pg.Client, tenantId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (tenant_id, type, user_id, data)
     SELECT $1, 'user.login', gen_random_uuid(), jsonb_build_object('n', n, 'via', 'bench') FROM generate_series(1, $2) AS n`,
    [tenantId, count],
  );
}

async function drained(db: pg.Client): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'pending'`,
    );
    if (rows[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const webhooksSuite: Suite = {
  id: 'webhooks',
  title: 'Webhook delivery throughput per instance',
  async run(context) {
    const databaseUrl = await freshDatabase(context, 'hellojohn_bench_webhooks');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hellojohn-bench-webhooks-'));
    context.resources.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    const env = {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_CONCURRENCY: String(CONCURRENCY),
    };
    const server = await startHelloJohn(context, env);
    const receiver = await localReceiver(context);
    const cli = promisify(execFile);
    const { stdout } = await cli(
      process.execPath,
      ['bin/hellojohn.js', 'admin', 'create', '--email', 'bench@example.com', '--json'],
      { cwd: context.config.root, env: { ...process.env, ...env, APP_ENV: 'dev', LOG_LEVEL: 'warn' } },
    );
    const token = (JSON.parse(stdout) as { token: string }).token;
    const created = await fetch(`${server.baseUrl}/v2/admin/tenants/default/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: ['user.*'] }),
    });
    if (created.status !== 201)
      throw new Error(`webhook not created: ${created.status} ${await created.text()}`);

    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    context.resources.add('close the webhook bench connection', () => db.end());
    const tenant = (await db.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'default'`)).rows[0]!
      .id;

    context.log(`webhooks: warm-up, ${WARMUP_EVENTS} deliveries`);
    await backlog(db, tenant, WARMUP_EVENTS);
    await drained(db);
    await db.query(`DELETE FROM webhook_deliveries`);

    context.log(`webhooks: ${EVENTS} deliveries`);
    const before = receiver.count();
    const started = performance.now();
    await backlog(db, tenant, EVENTS);
    await drained(db);
    const durationSec = (performance.now() - started) / 1000;
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM webhook_deliveries GROUP BY status`,
    );
    const delivered = rows.find((r) => r.status === 'delivered')?.n ?? 0;
    const durations = (
      await db.query<{ duration_ms: number }>(`SELECT duration_ms FROM webhook_attempts ORDER BY duration_ms`)
    ).rows.map((r) => r.duration_ms);
    const attempts = durations.length;
    const outcome: Measurement = {
      rps: delivered / durationSec,
      p50: percentile(durations, 50),
      p99: percentile(durations, 99),
      requests: EVENTS,
      ok: delivered,
      non2xx: EVENTS - delivered,
      errors: 0,
      timeouts: 0,
      statusCodes: { '2xx': delivered },
      failureSamples: rows.filter((r) => r.status !== 'delivered').map((r) => `${r.status}: ${r.n}`),
      durationSec,
    };
    const row: Row = {
      scenario: `Deliver a backlog of ${EVENTS} events (signed POSTs, one instance)`,
      ours: { label: `worker, WEBHOOK_CONCURRENCY=${CONCURRENCY}`, outcome },
      target: { kind: 'absolute', minRps: 200, maxP99Ms: 100 },
    };
    await server.stop();
    return {
      id: 'webhooks',
      title: this.title,
      ourName: 'HelloJohn',
      peerName: '—',
      rows: [row],
      notes: [
        `${EVENTS} audit events inserted in one statement (the outbox trigger writes one delivery each), then ` +
          'timed until none is pending; req/s is deliveries per second, p50/p99 are the POSTs’ own durations ' +
          `(webhook_attempts). The receiver (${receiver.count() - before} requests) runs in the benchmark ` +
          `process and answers 204. ${attempts} attempts for ${delivered} deliveries.`,
      ],
    };
  },
};
