// `hellojohn db check`: the monitoring thresholds of the database docs, measured on the live database.
// The thresholds and how a value is judged: src/db/health-scoring.ts. Every check is a function over a
// Queryable that never throws for a missing view, extension or privilege: it reports `unavailable` with
// the reason instead. Only connection failures propagate, so the caller can tell "the database is
// unreachable" apart from "this metric cannot be measured here".
import type { Queryable } from './database.js';
import {
  THRESHOLDS,
  fixed,
  guarded,
  measured,
  num,
  overallStatus,
  round,
  type CheckResult,
  type Spec,
  type Status,
} from './health-scoring.js';

export {
  THRESHOLDS,
  evaluate,
  exitCodeFor,
  overallStatus,
  type CheckResult,
  type Direction,
  type Status,
  type Thresholds,
} from './health-scoring.js';

/** Statements run fewer times than this are left out of the p99 estimate: their spread means little. */
export const P99_MIN_CALLS = 10;
/** z-score of the 99th percentile of a normal distribution. */
const Z99 = 2.33;
/** Below this many block accesses since the statistics reset, the cache hit rate is a cold start, not a trend. */
export const CACHE_MIN_BLOCKS = 10_000;

export const P99_METHOD =
  `estimate: max over statements with >= ${P99_MIN_CALLS} calls of min(mean + ${Z99} x stddev, max) ` +
  'exec time from pg_stat_statements since its last reset (assumes roughly normal per-statement times; ' +
  'not a true percentile)';

export const PG_STAT_STATEMENTS_HINT =
  "to enable: set shared_preload_libraries = 'pg_stat_statements' in postgresql.conf, restart PostgreSQL, " +
  'then run CREATE EXTENSION pg_stat_statements; in this database';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

// --- active connections ----------------------------------------------------------------------------

const connectionsSpec: Spec = {
  name: 'connections',
  label: 'active connections',
  unit: '%',
  direction: 'above',
  ...THRESHOLDS.connections,
};

export function checkConnections(db: Queryable): Promise<CheckResult> {
  return guarded(connectionsSpec, async () => {
    const { rows } = await db.query<{ connections: number; max_connections: number }>(
      // Client backends only: background workers, the WAL writer and friends do not use connection slots.
      // (Embedded PGlite runs one 'standalone backend': itself.)
      `SELECT count(*) FILTER (WHERE backend_type IN ('client backend', 'standalone backend'))::int AS connections,
              current_setting('max_connections')::int AS max_connections
         FROM pg_stat_activity`,
    );
    const connections = num(rows[0]?.connections);
    const max = num(rows[0]?.max_connections);
    if (!Number.isFinite(connections) || !(max > 0)) {
      return fixed(
        connectionsSpec,
        'unavailable',
        '-',
        'pg_stat_activity or max_connections is not readable',
      );
    }
    const percent = round((100 * connections) / max, 1);
    return measured(
      connectionsSpec,
      percent,
      `${percent.toFixed(1)}% (${connections}/${max})`,
      `${connections} client connection(s) of max_connections = ${max}, server-wide (pg_stat_activity)`,
    );
  });
}

// --- query time p99 --------------------------------------------------------------------------------

const queryP99Spec: Spec = {
  name: 'query_time_p99',
  label: 'query time p99',
  unit: 'ms',
  direction: 'above',
  ...THRESHOLDS.queryP99,
};

interface StatementRow {
  queryid: string | null;
  query: string | null;
  calls: string | number;
  p99: number | string;
}

export function checkQueryTimeP99(db: Queryable): Promise<CheckResult> {
  return guarded(queryP99Spec, async () => {
    const ext = await db.query<{ schema: string; version: string }>(
      `SELECT n.nspname AS schema, e.extversion AS version
         FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_stat_statements'`,
    );
    const installed = ext.rows[0];
    if (!installed) {
      return fixed(
        queryP99Spec,
        'unavailable',
        '-',
        `pg_stat_statements is not installed in this database; ${PG_STAT_STATEMENTS_HINT}`,
      );
    }
    const view = `${quoteIdent(installed.schema)}.pg_stat_statements`;
    // Version 1.8 (PostgreSQL 13) renamed *_time to *_exec_time.
    const [major = 0, minor = 0] = installed.version.split('.').map(Number);
    const col = major > 1 || (major === 1 && minor >= 8) ? 'exec_time' : 'time';
    let rows: StatementRow[];
    try {
      ({ rows } = await db.query<StatementRow>(
        `SELECT queryid::text AS queryid, left(regexp_replace(query, '\\s+', ' ', 'g'), 80) AS query, calls,
                LEAST(mean_${col} + ${Z99} * stddev_${col}, max_${col}) AS p99
           FROM ${view}
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND calls >= $1
          ORDER BY p99 DESC
          LIMIT 1`,
        [P99_MIN_CALLS],
      ));
    } catch (error) {
      // Installed with CREATE EXTENSION but the library is not preloaded: SQLSTATE 55000.
      const message = error instanceof Error ? error.message : String(error);
      if (/shared_preload_libraries/i.test(message)) {
        return fixed(
          queryP99Spec,
          'unavailable',
          '-',
          `pg_stat_statements is installed but not loaded (${message}); ${PG_STAT_STATEMENTS_HINT}`,
        );
      }
      throw error;
    }
    const worst = rows[0];
    if (!worst) {
      return fixed(
        queryP99Spec,
        'ok',
        'no data',
        `no statement in this database has run ${P99_MIN_CALLS} times yet; ${P99_METHOD}`,
      );
    }
    const p99 = round(num(worst.p99), 1);
    return measured(
      queryP99Spec,
      p99,
      formatMs(p99),
      `${P99_METHOD}; worst: queryid ${worst.queryid ?? '?'} (${worst.calls} calls): ${worst.query ?? '<hidden>'}`,
    );
  });
}

function formatMs(ms: number): string {
  return ms >= 1_000 ? `${round(ms / 1_000, 2)} s` : `${ms} ms`;
}

// --- dead tuples -----------------------------------------------------------------------------------

const deadTuplesSpec: Spec = {
  name: 'dead_tuples',
  label: 'dead tuples (worst table)',
  unit: 'tuples',
  direction: 'above',
  ...THRESHOLDS.deadTuples,
};

/** How many of the worst tables the detail names. */
const WORST_TABLES = 3;

export function checkDeadTuples(db: Queryable): Promise<CheckResult> {
  return guarded(deadTuplesSpec, async () => {
    const { rows } = await db.query<{ schemaname: string; relname: string; n_dead_tup: string | number }>(
      `SELECT schemaname, relname, n_dead_tup
         FROM pg_stat_user_tables
        ORDER BY n_dead_tup DESC, schemaname, relname
        LIMIT ${WORST_TABLES}`,
    );
    const worst = rows[0];
    if (!worst) return measured(deadTuplesSpec, 0, '0', 'no user tables (pg_stat_user_tables is empty)');
    const value = num(worst.n_dead_tup);
    const dirty = rows.filter((r) => num(r.n_dead_tup) > 0);
    const detail =
      dirty.length === 0
        ? 'no table has dead tuples (pg_stat_user_tables)'
        : `worst: ${dirty.map((r) => `${r.schemaname}.${r.relname} ${num(r.n_dead_tup)}`).join(', ')}` +
          (value > deadTuplesSpec.warning ? ' (VACUUM them, or check why autovacuum does not keep up)' : '');
    const display = value > 0 ? `${value} (${worst.schemaname}.${worst.relname})` : '0';
    return measured(deadTuplesSpec, value, display, detail);
  });
}

// --- cache hit rate --------------------------------------------------------------------------------

const cacheHitSpec: Spec = {
  name: 'cache_hit_rate',
  label: 'cache hit rate',
  unit: '%',
  direction: 'below',
  ...THRESHOLDS.cacheHitRate,
};

export function checkCacheHitRate(db: Queryable): Promise<CheckResult> {
  return guarded(cacheHitSpec, async () => {
    const { rows } = await db.query<{ blks_hit: string | number; blks_read: string | number }>(
      `SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()`,
    );
    if (!rows[0]) {
      return fixed(cacheHitSpec, 'unavailable', '-', 'no pg_stat_database row for this database');
    }
    const hit = num(rows[0].blks_hit);
    const read = num(rows[0].blks_read);
    const total = hit + read;
    if (total === 0)
      return fixed(cacheHitSpec, 'ok', 'no reads yet', 'no block reads since the statistics reset');
    const rate = round((100 * hit) / total, 2);
    const detail = `${hit} of ${total} block reads served from shared buffers (pg_stat_database, this database, since the statistics reset)`;
    if (total < CACHE_MIN_BLOCKS) {
      // A database that has just started (or was just created) reads everything from disk once.
      return {
        ...measured(cacheHitSpec, rate, `${rate.toFixed(2)}%`, detail),
        status: 'ok',
        detail: `${detail}; fewer than ${CACHE_MIN_BLOCKS} block reads so far: a cold cache, not judged yet`,
      };
    }
    return measured(cacheHitSpec, rate, `${rate.toFixed(2)}%`, detail);
  });
}

// --- replication lag -------------------------------------------------------------------------------

const replicationSpec: Spec = {
  name: 'replication_lag',
  label: 'replication lag',
  unit: 's',
  direction: 'above',
  ...THRESHOLDS.replicationLag,
};

export function checkReplicationLag(db: Queryable): Promise<CheckResult> {
  return guarded(replicationSpec, async () => {
    const recovery = await db.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (recovery.rows[0]?.standby) {
      const { rows } = await db.query<{ lag: number | string | null }>(
        `SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag`,
      );
      const lag = rows[0]?.lag;
      if (lag === null || lag === undefined) {
        return fixed(replicationSpec, 'unavailable', '-', 'standby has not replayed any transaction yet');
      }
      const seconds = round(Math.max(num(lag), 0), 1);
      return measured(
        replicationSpec,
        seconds,
        `${seconds} s`,
        'this server is a standby: now() - pg_last_xact_replay_timestamp() (grows while the primary is idle)',
      );
    }
    const { rows } = await db.query<{
      name: string | null;
      state: string | null;
      lag: number | string | null;
    }>(
      `SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text) AS name, state,
              extract(epoch FROM replay_lag)::float8 AS lag
         FROM pg_stat_replication
        ORDER BY replay_lag DESC NULLS LAST`,
    );
    if (rows.length === 0)
      return fixed(replicationSpec, 'ok', 'no replicas', 'no replicas (pg_stat_replication is empty)');
    // replay_lag is NULL for a replica that has caught up and stayed idle, or without pg_read_all_stats.
    const seconds = round(Math.max(0, ...rows.map((r) => num(r.lag)).filter(Number.isFinite)), 1);
    const worst = rows[0]!;
    return measured(
      replicationSpec,
      seconds,
      `${seconds} s`,
      `${rows.length} replica(s) (pg_stat_replication replay_lag); worst: ${worst.name ?? '?'} (${worst.state ?? '?'})`,
    );
  });
}

// --- all together ----------------------------------------------------------------------------------

export interface HealthReport {
  status: Exclude<Status, 'unavailable'>;
  checks: CheckResult[];
}

/** Runs every check in the order of the monitoring table, one after another (one connection suffices). */
export async function runHealthChecks(db: Queryable): Promise<HealthReport> {
  const checks: CheckResult[] = [];
  for (const check of [
    checkConnections,
    checkQueryTimeP99,
    checkDeadTuples,
    checkCacheHitRate,
    checkReplicationLag,
  ]) {
    checks.push(await check(db));
  }
  return { status: overallStatus(checks.map((c) => c.status)), checks };
}
