import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { QueryResult, Queryable } from '../src/db/database.js';
import {
  checkReplicationLag,
  evaluate,
  exitCodeFor,
  overallStatus,
  runHealthChecks,
  THRESHOLDS,
  type Status,
} from '../src/db/health-check.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { unlessAvailable } from './support/env.js';

interface CheckJson {
  name: string;
  value: number | null;
  unit: string;
  display: string;
  warning: number;
  critical: number;
  status: Status;
  detail: string;
}
interface ReportJson {
  status: Status;
  checks: CheckJson[];
  pool?: { total: number; idle: number; waiting: number; max: number };
}

const CHECK_NAMES = ['connections', 'query_time_p99', 'dead_tuples', 'cache_hit_rate', 'replication_lag'];
const STATUSES: Status[] = ['ok', 'warning', 'critical', 'unavailable'];

function parse(stdout: string): ReportJson {
  const report = JSON.parse(stdout) as ReportJson;
  assert.deepEqual(
    report.checks.map((c) => c.name),
    CHECK_NAMES,
  );
  for (const c of report.checks) assert.ok(STATUSES.includes(c.status), `${c.name}: ${c.status}`);
  return report;
}

const byName = (report: ReportJson, name: string) => report.checks.find((c) => c.name === name)!;

/** The exit code must follow the worst status, whatever the shared server's load is right now. */
function assertExitMatches(code: number | null, report: ReportJson) {
  assert.equal(report.status, overallStatus(report.checks.map((c) => c.status)));
  assert.equal(code, exitCodeFor(report.status));
}

describe('evaluate(): thresholds are crossed strictly beyond the limit', () => {
  test('above: larger is worse (connections 80/90 %)', () => {
    const t = THRESHOLDS.connections;
    assert.equal(evaluate(0, t, 'above'), 'ok');
    assert.equal(evaluate(80, t, 'above'), 'ok');
    assert.equal(evaluate(80.01, t, 'above'), 'warning');
    assert.equal(evaluate(90, t, 'above'), 'warning');
    assert.equal(evaluate(90.01, t, 'above'), 'critical');
    assert.equal(evaluate(100, t, 'above'), 'critical');
  });

  test('above: dead tuples 10,000/100,000, p99 200 ms/1 s, replication lag 30 s/5 min', () => {
    assert.equal(evaluate(10_000, THRESHOLDS.deadTuples, 'above'), 'ok');
    assert.equal(evaluate(10_001, THRESHOLDS.deadTuples, 'above'), 'warning');
    assert.equal(evaluate(100_000, THRESHOLDS.deadTuples, 'above'), 'warning');
    assert.equal(evaluate(100_001, THRESHOLDS.deadTuples, 'above'), 'critical');
    assert.equal(evaluate(200, THRESHOLDS.queryP99, 'above'), 'ok');
    assert.equal(evaluate(200.1, THRESHOLDS.queryP99, 'above'), 'warning');
    assert.equal(evaluate(1_000.1, THRESHOLDS.queryP99, 'above'), 'critical');
    assert.equal(evaluate(30, THRESHOLDS.replicationLag, 'above'), 'ok');
    assert.equal(evaluate(30.1, THRESHOLDS.replicationLag, 'above'), 'warning');
    assert.equal(evaluate(300, THRESHOLDS.replicationLag, 'above'), 'warning');
    assert.equal(evaluate(300.1, THRESHOLDS.replicationLag, 'above'), 'critical');
  });

  test('below: smaller is worse (cache hit rate 95/90 %)', () => {
    const t = THRESHOLDS.cacheHitRate;
    assert.equal(evaluate(100, t, 'below'), 'ok');
    assert.equal(evaluate(95, t, 'below'), 'ok');
    assert.equal(evaluate(94.99, t, 'below'), 'warning');
    assert.equal(evaluate(90, t, 'below'), 'warning');
    assert.equal(evaluate(89.99, t, 'below'), 'critical');
    assert.equal(evaluate(0, t, 'below'), 'critical');
  });

  test('overall status and exit code: unavailable is not a problem', () => {
    assert.equal(overallStatus(['ok', 'unavailable']), 'ok');
    assert.equal(overallStatus(['ok', 'warning', 'unavailable']), 'warning');
    assert.equal(overallStatus(['warning', 'critical', 'ok']), 'critical');
    assert.deepEqual((['ok', 'unavailable', 'warning', 'critical'] as const).map(exitCodeFor), [0, 0, 1, 2]);
  });
});

/** A Queryable answering from canned rows, keyed by a fragment of the SQL. */
function fake(answers: [RegExp, Record<string, unknown>[] | Error][]): Queryable {
  return {
    query: <Row>(sql: string): Promise<QueryResult<Row>> => {
      const hit = answers.find(([pattern]) => pattern.test(sql));
      if (!hit) return Promise.reject(new Error(`unexpected query: ${sql}`));
      const answer = hit[1];
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ rows: answer as Row[], rowCount: answer.length });
    },
    exec: () => Promise.resolve(),
  };
}

describe('checks over canned statistics', () => {
  test('replication lag: worst replica on a primary, and a standby', async () => {
    const primary = await checkReplicationLag(
      fake([
        [/pg_is_in_recovery/, [{ standby: false }]],
        [
          /pg_stat_replication/,
          [
            { name: 'replica-b', state: 'streaming', lag: 45.2 },
            { name: 'replica-a', state: 'streaming', lag: null },
          ],
        ],
      ]),
    );
    assert.equal(primary.status, 'warning');
    assert.equal(primary.value, 45.2);
    assert.match(primary.detail, /2 replica\(s\).*replica-b/);

    const standby = await checkReplicationLag(
      fake([
        [/pg_is_in_recovery/, [{ standby: true }]],
        [/pg_last_xact_replay_timestamp/, [{ lag: 301 }]],
      ]),
    );
    assert.equal(standby.status, 'critical');
    assert.match(standby.detail, /standby/);
  });

  test('a failing query makes that check unavailable; a lost connection propagates', async () => {
    const denied = Object.assign(new Error('permission denied for view pg_stat_replication'), {
      code: '42501',
    });
    const report = await runHealthChecks(fake([[/./, denied]]));
    assert.equal(report.status, 'ok');
    assert.ok(report.checks.every((c) => c.status === 'unavailable' && /permission denied/.test(c.detail)));

    const lost = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    await assert.rejects(runHealthChecks(fake([[/./, lost]])), /terminating connection/);
  });
});

describe('hellojohn db check (any backend, PGlite included)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    const migrated = await runCli(['migrate'], db.env);
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => db.drop());

  test('runs, reports every metric and never crashes, in text and JSON', async () => {
    const json = await runCli(['db', 'check', '--json', '--pool'], db.env);
    assert.doesNotMatch(json.stderr, /unexpected error/);
    const report = parse(json.stdout);
    assertExitMatches(json.code, report);
    assert.ok(report.pool && report.pool.total >= 1 && report.pool.max >= 1, JSON.stringify(report.pool));
    // A freshly migrated database with no deletes and no replicas, whatever the backend.
    assert.equal(byName(report, 'dead_tuples').status, 'ok');
    assert.equal(byName(report, 'replication_lag').status, 'ok');
    assert.equal(byName(report, 'replication_lag').display, 'no replicas');
    if (db.backend === 'pglite') {
      assert.equal(json.code, 0, json.stdout);
      assert.equal(byName(report, 'query_time_p99').status, 'unavailable');
    }

    const text = await runCli(['db', 'check', '--pool'], db.env);
    assert.doesNotMatch(text.stderr, /unexpected error/);
    assert.match(text.stdout, /^CHECK\s+VALUE\s+WARNING\s+CRITICAL\s+STATUS$/m);
    assert.match(
      text.stdout,
      /^active connections\s+\S.*> 80%\s+> 90%\s+(ok|WARNING|CRITICAL|unavailable)$/m,
    );
    assert.match(text.stdout, /^query time p99\s+.*> 200 ms\s+> 1 s\s+/m);
    assert.match(text.stdout, /^dead tuples \(worst table\)\s+0\s+> 10,000\s+> 100,000\s+ok$/m);
    assert.match(text.stdout, /^cache hit rate\s+.*< 95%\s+< 90%\s+/m);
    assert.match(text.stdout, /^replication lag\s+no replicas\s+> 30 s\s+> 5 min\s+ok$/m);
    assert.match(text.stdout, /^pool \(this process\): \d+ open, \d+ idle, \d+ waiting, max \d+$/m);
    assert.match(
      text.stdout,
      /^status: (ok|warning|critical) \(\d ok, \d warning, \d critical, \d unavailable; exit \d\)$/m,
    );
    assert.ok(text.code === 0 || text.code === 1 || text.code === 2, String(text.code));
  });

  test('an unreachable database is critical: one line on stderr, exit 2', async () => {
    const result = await runCli(['db', 'check'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none?sslmode=disable',
      DATABASE_CONNECT_TIMEOUT: '1s',
    });
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^hellojohn: cannot connect to PostgreSQL .*database unreachable.*exit 2\)$/m,
    );
  });
});

describe('hellojohn db check on PostgreSQL', { skip: unlessAvailable({ postgres: true }) }, () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    const migrated = await runCli(['migrate'], db.env);
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => db.drop());

  test('a fresh migrated database: measured values, and p99 explained when pg_stat_statements is missing', async () => {
    const result = await runCli(['db', 'check', '--json'], db.env);
    const report = parse(result.stdout);
    assertExitMatches(result.code, report);

    const connections = byName(report, 'connections');
    assert.notEqual(connections.status, 'unavailable');
    assert.ok(connections.value! > 0 && connections.value! <= 100, connections.display);
    assert.match(connections.detail, /max_connections = \d+/);

    assert.ok(byName(report, 'cache_hit_rate').value! > 0);
    assert.equal(byName(report, 'dead_tuples').value, 0);

    const p99 = byName(report, 'query_time_p99');
    const [installed] = await db.sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'");
    if (!installed) {
      assert.equal(p99.status, 'unavailable');
      assert.match(p99.detail, /not installed/);
      assert.match(p99.detail, /shared_preload_libraries = 'pg_stat_statements'/);
      assert.match(p99.detail, /CREATE EXTENSION pg_stat_statements/);
    }
  });

  test('pg_stat_statements created but not preloaded: unavailable with the hint, not a crash', async (t) => {
    const [preload] = await db.sql<{ libs: string }>(
      "SELECT current_setting('shared_preload_libraries') AS libs",
    );
    if (preload!.libs.includes('pg_stat_statements')) return t.skip('the server preloads pg_stat_statements');
    const [available] = await db.sql(
      "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
    );
    if (!available) return t.skip('pg_stat_statements is not shipped with this server');
    await db.sql('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');

    const result = await runCli(['db', 'check', '--json'], db.env);
    const report = parse(result.stdout);
    assertExitMatches(result.code, report);
    const p99 = byName(report, 'query_time_p99');
    assert.equal(p99.status, 'unavailable');
    assert.match(p99.detail, /installed but not loaded/);
    assert.match(p99.detail, /shared_preload_libraries = 'pg_stat_statements'/);
  });

  test('15,000 dead tuples in one table: dead tuples warning naming that table, exit 1', async () => {
    const table = 'hj_dead_tuples_probe';
    await db.sql(
      `CREATE TABLE ${table} (id int);
       ALTER TABLE ${table} SET (autovacuum_enabled = false);
       INSERT INTO ${table} SELECT generate_series(1, 15000);
       DELETE FROM ${table};`,
    );
    // Each adminQuery is its own session, whose statistics are flushed when it ends; poll to be sure.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await db.sql<{ n: string }>(
        'SELECT n_dead_tup::text AS n FROM pg_stat_user_tables WHERE relname = $1',
        [table],
      );
      if (Number(row?.n ?? 0) >= 10_000) break;
      assert.ok(Date.now() < deadline, `n_dead_tup still ${row?.n} after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const result = await runCli(['db', 'check', '--json'], db.env);
    const report = parse(result.stdout);
    const dead = byName(report, 'dead_tuples');
    assert.equal(dead.status, 'warning', JSON.stringify(dead));
    assert.equal(dead.value, 15_000);
    assert.match(dead.detail, new RegExp(`public\\.${table} 15000`));
    assert.match(dead.display, new RegExp(table));
    // Exit 1, unless the shared server is critical elsewhere right now.
    assertExitMatches(result.code, report);
    if (report.checks.every((c) => c.status !== 'critical')) assert.equal(result.code, 1);

    const text = await runCli(['db', 'check'], db.env);
    assert.match(
      text.stdout,
      new RegExp(`^dead tuples \\(worst table\\)\\s+15000 \\(public\\.${table}\\)\\s+.*WARNING$`, 'm'),
    );
    // The text form exits like the JSON form and says why.
    assert.equal(text.code, result.code, text.stdout);
    assert.match(text.stdout, /^status: (warning|critical) \(\d ok, [1-9]\d* warning, /m);
    if (report.status === 'warning') assert.match(text.stdout, /^status: warning .*exit 1\)$/m);

    // Vacuumed, the warning clears (the shared server permitting).
    await db.sql(`VACUUM ${table}`);
    const cleared = Date.now() + 10_000;
    for (;;) {
      const again = parse((await runCli(['db', 'check', '--json'], db.env)).stdout);
      if (byName(again, 'dead_tuples').status === 'ok') break;
      assert.ok(Date.now() < cleared, `still ${byName(again, 'dead_tuples').display} after VACUUM`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  });
});
