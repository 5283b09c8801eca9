// Prometheus metrics. Each app owns its registry (no global state), so several apps in one process —
// as in the tests — never share or double-register series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database, PoolStats, QueryResult, Queryable } from '../db/database.js';

/** What the auth service reports; kept free of prom-client so the domain does not depend on it. */
export interface AuthEvents {
  login(result: 'ok' | 'failed' | 'locked' | 'blocked'): void;
  tokenIssued(grant: 'password' | 'refresh_token' | 'session'): void;
  refreshReuseDetected(): void;
  rateLimited(scope: string): void;
}

export const noAuthEvents: AuthEvents = {
  login: () => {},
  tokenIssued: () => {},
  refreshReuseDetected: () => {},
  rateLimited: () => {},
};

export class Metrics implements AuthEvents {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'hellojohn_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly dbQueryDuration = new Histogram({
    name: 'hellojohn_db_query_duration_seconds',
    help: 'Database statement duration (p99 via histogram_quantile)',
    labelNames: ['kind'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'hellojohn_logins_total',
    help: 'Password logins by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'hellojohn_tokens_issued_total',
    help: 'Access tokens issued by grant',
    labelNames: ['grant'] as const,
    registers: [this.registry],
  });
  private readonly reuse = new Counter({
    name: 'hellojohn_refresh_token_reuse_detected_total',
    help: 'Rotated refresh tokens presented again (the session was revoked)',
    registers: [this.registry],
  });
  private readonly limited = new Counter({
    name: 'hellojohn_rate_limit_rejections_total',
    help: 'Requests refused by a rate limit or lockout',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly sweeperRuns = new Counter({
    name: 'hellojohn_sweeper_runs_total',
    help: 'Runs of the expired-row sweeper by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly redisUp = new Gauge({
    name: 'hellojohn_redis_up',
    help: '1 when Redis is configured and reachable, 0 otherwise',
    registers: [this.registry],
  });

  constructor(poolStats: () => PoolStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hellojohn_' });
    const pool = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(pick(poolStats()));
        },
      });
    pool('hellojohn_db_pool_connections', 'Open database connections (busy + idle)', (s) => s.total);
    pool('hellojohn_db_pool_idle', 'Idle database connections', (s) => s.idle);
    pool('hellojohn_db_pool_waiting', 'Callers waiting for a database connection', (s) => s.waiting);
    pool('hellojohn_db_pool_max', 'Configured pool size (DATABASE_MAX_CONNECTIONS)', (s) => s.max);
    this.redisUp.set(0);
  }

  login(result: 'ok' | 'failed' | 'locked' | 'blocked'): void {
    this.logins.inc({ result });
  }
  tokenIssued(grant: 'password' | 'refresh_token' | 'session'): void {
    this.tokens.inc({ grant });
  }
  refreshReuseDetected(): void {
    this.reuse.inc();
  }
  rateLimited(scope: string): void {
    this.limited.inc({ scope });
  }
}

/** The same database, with every statement timed into `histogram`. */
export function instrumentDatabase(db: Database, histogram: Metrics['dbQueryDuration']): Database {
  const timed = (target: Queryable): Queryable => ({
    async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const end = histogram.startTimer({ kind: 'query' });
      try {
        return await target.query<Row>(sql, params);
      } finally {
        end();
      }
    },
    async exec(sql: string) {
      const end = histogram.startTimer({ kind: 'exec' });
      try {
        await target.exec(sql);
      } finally {
        end();
      }
    },
  });
  const outer = timed(db);
  return {
    kind: db.kind,
    description: db.description,
    query: (sql, params) => outer.query(sql, params),
    exec: (sql) => outer.exec(sql),
    transaction: (fn) => db.transaction((tx) => fn(timed(tx))),
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
}
