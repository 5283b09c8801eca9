// Prometheus metrics. Each app owns its registry (no global state), so several apps in one process —
// as in the tests — never share or double-register series.
import type { Database, PoolStats, QueryResult, Queryable } from '../db/database.js';
import { promClient } from '../infra/require.js';

const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = promClient;

/** What the auth service reports; kept free of prom-client so the domain does not depend on it. */
/**
 * How a token was obtained: 'password' (first-party login), 'session' (a browser session), or the OAuth
 * grant type (src/oauth/grants/grant-types.ts, which this layer does not import).
 */
export type TokenGrant = string;

export interface AuthEvents {
  login(result: 'ok' | 'failed' | 'locked' | 'blocked'): void;
  tokenIssued(grant: TokenGrant): void;
  refreshReuseDetected(): void;
  rateLimited(scope: string): void;
}

export const noAuthEvents: AuthEvents = {
  login: () => {},
  tokenIssued: () => {},
  refreshReuseDetected: () => {},
  rateLimited: () => {},
};

/** What the caches report (src/cache/); kept free of prom-client like AuthEvents. */
export interface CacheEvents {
  cacheLookup(cache: 'session', result: 'hit' | 'miss'): void;
  /** `origin`: published here, received from another instance, or a reset (everything dropped). */
  cacheInvalidated(kind: string, origin: 'local' | 'remote' | 'reset'): void;
  /** Whether cross-instance invalidation is live (Redis subscription and heartbeat). */
  invalidationSubscribed(up: boolean): void;
}

export const noCacheEvents: CacheEvents = {
  cacheLookup: () => {},
  cacheInvalidated: () => {},
  invalidationSubscribed: () => {},
};

export class Metrics implements AuthEvents, CacheEvents {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'hellojohn_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  // Bounded: routes are patterns, methods and statuses few.
  private readonly requestSeries = new Map<string, { observe(value: number): void }>();
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
  readonly dbTransactions = new Counter({
    name: 'hellojohn_db_transactions_total',
    help: 'Database transactions begun (each adds BEGIN and COMMIT round trips to its statements)',
    registers: [this.registry],
  });
  readonly redisUp = new Gauge({
    name: 'hellojohn_redis_up',
    help: '1 when Redis is configured and reachable, 0 otherwise',
    registers: [this.registry],
  });
  private readonly cacheRequests = new Counter({
    name: 'hellojohn_cache_requests_total',
    help: 'Cache lookups by cache and result (a miss reads the database)',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });
  private readonly cacheInvalidations = new Counter({
    name: 'hellojohn_cache_invalidations_total',
    help: 'Cache invalidations applied, by kind and origin (local, remote instance, reset)',
    labelNames: ['kind', 'origin'] as const,
    registers: [this.registry],
  });
  private readonly invalidationUp = new Gauge({
    name: 'hellojohn_cache_invalidation_up',
    help: '1 while cross-instance cache invalidation (Redis pub/sub) is live, 0 otherwise',
    registers: [this.registry],
  });

  constructor(poolStats: () => PoolStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hellojohn_' });
    const pool = (name: string, help: string, pick: (s: PoolStats) => number) =>
      this.readAtScrape(name, help, () => pick(poolStats()));
    pool('hellojohn_db_pool_connections', 'Open database connections (busy + idle)', (s) => s.total);
    pool('hellojohn_db_pool_idle', 'Idle database connections', (s) => s.idle);
    pool('hellojohn_db_pool_waiting', 'Callers waiting for a database connection', (s) => s.waiting);
    pool('hellojohn_db_pool_max', 'Configured pool size (DATABASE_MAX_CONNECTIONS)', (s) => s.max);
    this.redisUp.set(0);
    // Present from the start, so a scrape before any traffic already shows the series.
    for (const result of ['hit', 'miss'] as const) this.cacheRequests.inc({ cache: 'session', result }, 0);
  }

  /** Password hashing (src/crypto/hash-threads.ts): a queue that stays above 0 means logins wait for CPU. */
  watchPasswordHashing(stats: () => { busy: number; queued: number }): void {
    this.readAtScrape(
      'hellojohn_password_hash_busy',
      'Password-hashing threads running a hash now',
      () => stats().busy,
    );
    this.readAtScrape(
      'hellojohn_password_hash_queued',
      'Password hashes waiting for a free hashing thread',
      () => stats().queued,
    );
  }

  /** A gauge whose value is read when /metrics is scraped. */
  private readAtScrape(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  login(result: 'ok' | 'failed' | 'locked' | 'blocked'): void {
    this.logins.inc({ result });
  }
  tokenIssued(grant: TokenGrant): void {
    this.tokens.inc({ grant });
  }
  refreshReuseDetected(): void {
    this.reuse.inc();
  }
  /** One observation per answered request; each labelled series is created once and then reused. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = this.httpDuration.labels(method, route, String(status));
      this.requestSeries.set(key, series);
    }
    series.observe(seconds);
  }

  rateLimited(scope: string): void {
    this.limited.inc({ scope });
  }
  cacheLookup(cache: 'session', result: 'hit' | 'miss'): void {
    this.cacheRequests.inc({ cache, result });
  }
  cacheInvalidated(kind: string, origin: 'local' | 'remote' | 'reset'): void {
    this.cacheInvalidations.inc({ kind, origin });
  }
  invalidationSubscribed(up: boolean): void {
    this.invalidationUp.set(up ? 1 : 0);
  }
}

/**
 * The same database, with every statement timed into `histogram`, and transactions counted into
 * `transactions` (their BEGIN and COMMIT are round trips the histogram does not see).
 */
export function instrumentDatabase(
  db: Database,
  histogram: Metrics['dbQueryDuration'],
  transactions?: Metrics['dbTransactions'],
): Database {
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
    transaction: (fn) => {
      transactions?.inc();
      return db.transaction((tx) => fn(timed(tx)));
    },
    poolStats: () => db.poolStats(),
    close: () => db.close(),
  };
}
