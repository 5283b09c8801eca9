// Scale-out: two HelloJohn instances behind PgBouncer (transaction pooling) sharing one Redis, against one
// instance on the same PgBouncer and Redis, for password login, refresh and the session check
// (GET /v2/me). Also the cost of each in database round trips per request, read from the instances'
// own counters (statements + BEGIN/COMMIT of transactions), or pg_stat_statements when it is loaded.
//
// Environment (on top of run.ts's):
//   BENCH_PGBOUNCER_URL  PgBouncer, user and password, no database (postgres://hellojohn:secret@127.0.0.1:6432/)
//   BENCH_REDIS_URL      a Redis to use; unset: a throwaway `redis-server` on a free port
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Suite, SuiteContext } from '../lib/context.js';
import { expectJson, field, mapLimit } from '../lib/http.js';
import { drain, runLoad, type LoadRequest, type Measurement } from '../lib/load.js';
import { databaseUrl } from '../lib/postgres.js';
import { freePort, startServer, type RunningServer } from '../lib/process.js';

/** An instance and its management listener, where /metrics is served. */
type Instance = RunningServer & { managementUrl: string };
import type { Outcome, Row, Target } from '../lib/report.js';
import { buildHelloJohn, HOST } from '../lib/servers.js';
import { refreshRequest } from './auth.js';

const SEED_CONCURRENCY = 4;
type Scenario = 'login' | 'refresh' | 'me';
const SCENARIOS: Scenario[] = ['me', 'refresh', 'login'];

interface User {
  email: string;
  password: string;
}

interface Topology {
  instances: Instance[];
  /** Database round trips per request, by scenario (undefined when it could not be measured). */
  roundTrips: Partial<Record<Scenario, number>>;
  results: Record<Scenario, Outcome>;
}

function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length] as T;
}

// --- infrastructure ----------------------------------------------------------------------------------

async function redisUrl(context: SuiteContext): Promise<string> {
  const given = process.env.BENCH_REDIS_URL;
  if (given) return given;
  const port = await freePort(HOST);
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => {});
  context.resources.add('stop redis-server', async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5_000)]);
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await accepts(port)) return `redis://${HOST}:${port}`;
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error('redis-server did not start (set BENCH_REDIS_URL to use a running Redis)');
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function admin<T>(context: SuiteContext, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: context.config.pg.adminUrl,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database owned by PgBouncer's user, and its URL through PgBouncer. */
async function bouncedDatabase(context: SuiteContext, name: string): Promise<string> {
  const bouncer = new URL(process.env.BENCH_PGBOUNCER_URL || 'postgres://hellojohn:secret@127.0.0.1:6432/');
  const owner = decodeURIComponent(bouncer.username);
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || !/^[a-z_][a-z0-9_]*$/.test(owner)) throw new Error('unsafe name');
  await admin(context, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}" OWNER "${owner}"`);
  });
  context.resources.add(`drop database ${name}`, () =>
    admin(context, async (c) => void (await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  );
  return databaseUrl({ adminUrl: bouncer.toString() }, name);
}

/** Instances of HelloJohn on one database, sharing master keys (so each can sign) and BASE_URL. */
async function startInstances(
  context: SuiteContext,
  count: number,
  databaseUrl: string,
  redis: string,
): Promise<Instance[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hellojohn-bench-cluster-'));
  context.resources.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const shared = {
    DATABASE_URL: databaseUrl,
    DATABASE_MAX_CONNECTIONS: String(context.config.dbPool),
    REDIS_URL: redis,
    BASE_URL: 'http://hellojohn.bench.test',
    DATA_DIR: dataDir,
    SECRETBOX_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNING_MASTER_KEY: randomBytes(32).toString('hex'),
    HOST,
    APP_ENV: 'dev',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_ACCOUNT: '1000000',
    RATE_LIMIT_FAILURES_PER_IP: '1000000',
    RATE_LIMIT_PER_CLIENT: '1000000',
    LOGIN_MAX_FAILURES: '1000',
  };
  const servers: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort(HOST);
    const baseUrl = `http://${HOST}:${port}`;
    const managementPort = await freePort(HOST);
    const server = await startServer(
      {
        name: `hellojohn-${i + 1}`,
        command: process.execPath,
        args: ['bin/hellojohn.js', 'serve'],
        cwd: context.config.root,
        env: {
          ...shared,
          PORT: String(port),
          MANAGEMENT_PORT: String(managementPort),
          MIGRATE_ON_START: i === 0 ? 'true' : 'false',
        },
        baseUrl,
        readyPath: '/ready',
      },
      context.resources,
    );
    servers.push(Object.assign(server, { managementUrl: `http://${HOST}:${managementPort}` }));
  }
  return servers;
}

// --- counting database round trips -------------------------------------------------------------------

function sample(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) total += Number(match[2]);
  }
  return total;
}

/** Round trips the instances made so far: statements, plus BEGIN and COMMIT of each transaction. */
async function appRoundTrips(instances: Instance[]): Promise<number> {
  let total = 0;
  for (const server of instances) {
    const text = await (
      await fetch(`${server.managementUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })
    ).text();
    total +=
      sample(text, 'hellojohn_db_query_duration_seconds_count') +
      2 * sample(text, 'hellojohn_db_transactions_total');
  }
  return total;
}

/**
 * Statements executed in `database` per pg_stat_statements, or undefined when the extension is not
 * loaded (it needs shared_preload_libraries, so usually it is not): the app's counters are used then.
 */
async function statementCalls(context: SuiteContext, database: string): Promise<number | undefined> {
  try {
    return await admin(context, async (c) => {
      const r = await c.query<{ calls: string | null }>(
        `SELECT sum(calls)::text AS calls FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
        [database],
      );
      return Number(r.rows[0]?.calls ?? 0);
    });
  } catch {
    return undefined;
  }
}

/** Waits (bounded) until the instances stop issuing statements: work queued before has finished. */
async function settled(instances: Instance[]): Promise<number> {
  let last = await appRoundTrips(instances);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = await appRoundTrips(instances);
    if (now === last) return now;
    last = now;
  }
  return last;
}

/** Requests sent one at a time, alternating instances, each built and answered as under load. */
async function sequential(instances: RunningServer[], requests: LoadRequest[], count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const i = n % instances.length;
    const request = requests[i]!;
    const change = request.next?.() ?? {};
    const body = change.body ?? request.body;
    const headers: Record<string, string> = { ...(request.headers ?? {}), ...(change.headers ?? {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${instances[i]!.baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
    request.onResponse?.(response.status, await response.text());
  }
}

/** Requests per instance in the round-trip count, sent after the load run on the warmed-up servers. */
const PROBES_PER_INSTANCE = 20;

// --- load ------------------------------------------------------------------------------------------

/** Sums runs made side by side on several instances into one measurement (tail latency: the worst). */
function combine(parts: Measurement[]): Measurement {
  const sum = (pick: (m: Measurement) => number) => parts.reduce((n, m) => n + pick(m), 0);
  const statusCodes: Record<string, number> = {};
  for (const m of parts)
    for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: sum((m) => m.rps),
    p50: Math.max(...parts.map((m) => m.p50)),
    p99: Math.max(...parts.map((m) => m.p99)),
    requests: sum((m) => m.requests),
    ok: sum((m) => m.ok),
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
    timeouts: sum((m) => m.timeouts),
    statusCodes,
    failureSamples: parts.flatMap((m) => m.failureSamples).slice(0, 3),
    durationSec: Math.max(...parts.map((m) => m.durationSec)),
  };
}

/** The connections of a run, split over the instances; warm-up and measured window in one run. */
async function loadAll(
  context: SuiteContext,
  instances: RunningServer[],
  requests: LoadRequest[],
): Promise<Measurement> {
  const { connections, warmupSec, durationSec } = context.config;
  const share = Math.max(1, Math.floor(connections / instances.length));
  const parts = await Promise.all(
    instances.map((server, i) =>
      runLoad(requests[i]!, { baseUrl: server.baseUrl, connections: share, warmupSec, durationSec }),
    ),
  );
  await Promise.all(instances.map((server, i) => drain(server.baseUrl, requests[i]!)));
  return combine(parts);
}

async function measureTopology(context: SuiteContext, count: number, redis: string): Promise<Topology> {
  const name = `hellojohn_cluster${count}_${context.config.runId}`;
  const failedAll = (error: string): Topology => ({
    instances: [],
    roundTrips: {},
    results: { login: { error }, refresh: { error }, me: { error } },
  });
  let instances: Instance[];
  try {
    instances = await startInstances(context, count, await bouncedDatabase(context, name), redis);
  } catch (error) {
    context.log(`  ${count} instance(s): ${(error as Error).message}`);
    return failedAll((error as Error).message);
  }
  const label = `${count} instance${count > 1 ? 's' : ''}`;
  try {
    const first = instances[0]!;
    const origin = { origin: first.baseUrl };
    const users: User[] = Array.from({ length: context.config.users }, (_, i) => ({
      email: `bench-cluster-${i}@example.com`,
      password: `Bench ${randomBytes(12).toString('base64url')} pass`,
    }));
    context.log(`  ${label}: registering ${users.length} users`);
    const accessTokens = await mapLimit(users, SEED_CONCURRENCY, async (user) => {
      const r = await expectJson(201, 'POST', `${first.baseUrl}/v2/auth/register`, user, origin);
      return field(r.body, 'access_token');
    });
    const refreshTokens = async () => {
      const seedUser = cycle(users);
      const seeds = Array.from({ length: context.config.connections * 2 }, () => seedUser());
      return mapLimit(seeds, SEED_CONCURRENCY, async (user) => {
        const r = await expectJson(200, 'POST', `${first.baseUrl}/v2/auth/login`, user, origin);
        return field(r.body, 'refresh_token');
      });
    };
    const requestsFor = async (scenario: Scenario): Promise<LoadRequest[]> => {
      if (scenario === 'me') {
        const next = cycle(accessTokens);
        const me: LoadRequest = {
          method: 'GET',
          path: '/v2/me',
          next: () => ({ headers: { authorization: `Bearer ${next()}` } }),
        };
        return instances.map(() => me);
      }
      if (scenario === 'refresh') {
        const tokens = await refreshTokens();
        // Each instance rotates its own share of the token chains.
        return instances.map((_, i) =>
          refreshRequest(
            '/v2/auth/refresh',
            tokens.filter((_, n) => n % instances.length === i),
          ),
        );
      }
      const next = cycle(users.map((u) => JSON.stringify(u)));
      const login: LoadRequest = {
        method: 'POST',
        path: '/v2/auth/login',
        body: next(),
        next: () => ({ body: next() }),
      };
      return instances.map(() => login);
    };

    const results = {} as Record<Scenario, Outcome>;
    const roundTrips: Partial<Record<Scenario, number>> = {};
    for (const scenario of SCENARIOS) {
      try {
        const requests = (await requestsFor(scenario)).map((r) => ({
          ...r,
          headers: { ...origin, ...r.headers },
        }));
        const { warmupSec, durationSec, connections } = context.config;
        context.log(
          `  ${label}: ${scenario}: ${warmupSec} s warm-up + ${durationSec} s × ${connections} connections`,
        );
        const m = await loadAll(context, instances, requests);
        results[scenario] = m;
        // Counted on requests sent one at a time once the load has drained: under load, requests cut
        // off when the run ends still reach the database without being counted as answered.
        const probes = PROBES_PER_INSTANCE * instances.length;
        const appBefore = await settled(instances);
        const pgBefore = await statementCalls(context, name);
        await sequential(instances, requests, probes);
        const appAfter = await settled(instances);
        const pgAfter = await statementCalls(context, name);
        const trips =
          pgBefore !== undefined && pgAfter !== undefined ? pgAfter - pgBefore : appAfter - appBefore;
        roundTrips[scenario] = trips / probes;
        context.log(
          `  ${label}: ${scenario}: ${m.rps.toFixed(1)} req/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ` +
            `${(roundTrips[scenario] ?? NaN).toFixed(2)} DB round trips/request` +
            (m.non2xx + m.errors ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : ''),
        );
      } catch (error) {
        context.log(`  ${label}: ${scenario}: failed: ${(error as Error).message}`);
        results[scenario] = { error: (error as Error).message };
      }
    }
    return { instances, roundTrips, results };
  } catch (error) {
    context.log(`  ${label}: ${(error as Error).message}`);
    return failedAll((error as Error).message);
  } finally {
    for (const server of instances) await server.stop();
  }
}

// --- the suite -------------------------------------------------------------------------------------

/** Two instances on a 2-core machine (with the load generator on it too) cannot double CPU-bound work. */
const SCALE_TARGET: Target = { kind: 'ratio', min: 1 };

const LABELS: Record<Scenario, { scenario: string; path: string }> = {
  login: { scenario: 'Password login', path: 'POST /v2/auth/login' },
  refresh: { scenario: 'Refresh (rotation)', path: 'POST /v2/auth/refresh' },
  me: { scenario: 'Session check (bearer)', path: 'GET /v2/me' },
};

const trips = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(2));

export const clusterSuite: Suite = {
  id: 'cluster',
  title: 'Scale-out: two HelloJohn instances vs one, through PgBouncer, with Redis',
  async run(context) {
    if (context.config.build) await buildHelloJohn(context);
    const redis = await redisUrl(context);
    context.log('cluster: one instance');
    const one = await measureTopology(context, 1, redis);
    context.log('cluster: two instances');
    const two = await measureTopology(context, 2, redis);
    const statsSource =
      (await statementCalls(context, 'postgres')) === undefined
        ? "the instances' own counters (`hellojohn_db_query_duration_seconds_count` + 2 × `hellojohn_db_transactions_total` for BEGIN/COMMIT, from /metrics) around " +
          `${PROBES_PER_INSTANCE} requests per instance sent one at a time after the load run; pg_stat_statements is not loaded on this server`
        : `pg_stat_statements (calls in the benchmark database around ${PROBES_PER_INSTANCE} requests per instance sent one at a time after the load run)`;

    const rows: Row[] = (['login', 'refresh', 'me'] as const).map((s) => ({
      scenario: LABELS[s].scenario,
      ours: { label: `${LABELS[s].path} on 2 instances`, outcome: two.results[s] },
      peer: { label: `${LABELS[s].path} on 1 instance`, outcome: one.results[s] },
      target: SCALE_TARGET,
    }));
    const { users, dbPool, connections } = context.config;
    return {
      id: 'cluster',
      title: this.title,
      ourName: 'Two instances',
      peerName: 'One instance',
      rows,
      notes: [
        `Database round trips per request (one instance / two instances): ` +
          (['login', 'refresh', 'me'] as const)
            .map(
              (s) =>
                `${LABELS[s].scenario.toLowerCase()} ${trips(one.roundTrips[s])} / ${trips(two.roundTrips[s])}`,
            )
            .join('; ') +
          `. Counted from ${statsSource}. Targets: a session check with Redis needs none (served from the session cache, kept correct by Redis pub/sub invalidation; see docs/caching.md); a refresh at most 2 writes (one statement that rotates the token, inserts its successor and touches the session at most once a minute).`,
        `Both topologies: \`hellojohn serve\` processes on a fresh database reached through PgBouncer in transaction mode (${process.env.BENCH_PGBOUNCER_URL ? 'BENCH_PGBOUNCER_URL' : '127.0.0.1:6432, as `.ci/run` sets it up: default_pool_size 5'}), a pool of ${dbPool} connections per instance, one Redis (${process.env.BENCH_REDIS_URL ? 'BENCH_REDIS_URL' : 'a throwaway redis-server'}) for rate limits, lockout and cache invalidation; ${users} seeded users; Argon2id at the OWASP defaults; rate limits raised.`,
        `The ${connections} connections are split evenly over the instances (autocannon, one run per instance side by side); req/s is the sum, p50/p99 the worse of the instances. The "one instance" columns stand where the peer's are in other suites; the ratio is two ÷ one.`,
        'The load generator, PostgreSQL, PgBouncer and Redis share the machine with the servers: CPU-bound scenarios (login: Argon2id) cannot scale past the cores there are.',
      ],
    };
  },
};
