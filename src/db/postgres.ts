// The real PostgreSQL driver: a node-postgres pool, TLS the way libpq's sslmode means it, and a startup
// probe that retries an unreachable server with backoff until a deadline.
//
// PgBouncer (transaction pooling) rules kept here: no session state between statements outside a
// transaction, no named prepared statements (node-postgres only names them when asked), no LISTEN.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config, PostgresConfig } from '../config.js';
import { ServiceUnavailableError } from '../errors.js';
import type { Database, PoolStats, QueryResult, Queryable } from './database.js';

type PostgresSettings = PostgresConfig & Config['database'];

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Opens the pool once the server answers; fails with a StartupError after `connectTimeoutMs`. */
export async function openPostgres(settings: PostgresSettings, logger: Logger): Promise<Database> {
  const deadline = Date.now() + settings.connectTimeoutMs;
  let delay = 250;
  let ssl = tlsOptions(settings);
  let serverSideTimeout = true;

  for (;;) {
    try {
      await probe(settings, ssl, serverSideTimeout);
      break;
    } catch (error) {
      const message = errorMessage(error);
      if (settings.sslMode === 'prefer' && ssl !== false && /does not support SSL/i.test(message)) {
        // libpq's `prefer`: TLS when the server offers it, plaintext otherwise.
        ssl = false;
        continue;
      }
      if (serverSideTimeout && /unsupported startup parameter/i.test(message)) {
        // PgBouncer refuses unknown startup parameters. Fall back to a client-side timeout and say how
        // to get the server-side one back.
        serverSideTimeout = false;
        logger.warn(
          'the server (PgBouncer?) refused the statement_timeout startup parameter; using a client-side ' +
            'timeout instead. Add "ignore_startup_parameters = extra_float_digits,statement_timeout" to pgbouncer.ini and ' +
            'run ALTER ROLE ... SET statement_timeout to enforce it on the server',
        );
        continue;
      }
      const reason = describeConnectError(error, settings);
      if (!isTransient(error) || Date.now() + delay > deadline) {
        const waited = isTransient(error)
          ? ` (gave up after ${Math.round(settings.connectTimeoutMs / 1000)}s)`
          : '';
        throw new StartupError(`cannot connect to PostgreSQL at ${settings.display}: ${reason}${waited}`, {
          cause: error,
        });
      }
      logger.warn({ retryInMs: delay }, `PostgreSQL not reachable yet at ${settings.display}: ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  const pool = new pg.Pool({
    ...clientConfig(settings, ssl, serverSideTimeout),
    max: settings.maxConnections,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dying (server restart, network) must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger.warn({ err: errorMessage(error) }, 'idle PostgreSQL connection lost'));
  return new PostgresDatabase(pool, settings);
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly description: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly settings: PostgresSettings,
  ) {
    this.description = `PostgreSQL ${settings.display}`;
  }

  query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return runQuery<Row>(this.pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await runQuery(this.pool, sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw unavailable(error);
    }
    let broken = false;
    // A checked-out client has no error listener of the pool's: a connection lost between two statements
    // of the transaction would be an unhandled 'error' event and crash the process. The pending or next
    // query fails on its own (→ 503); the connection is discarded on release.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await runQuery(client, 'BEGIN');
      const result = await fn({
        query: <Row>(sql: string, params?: readonly unknown[]) => runQuery<Row>(client, sql, params),
        exec: async (sql: string) => {
          await runQuery(client, sql);
        },
      });
      await runQuery(client, 'COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      // A connection that could not roll back is destroyed rather than handed to the next caller (which
      // keeps its error listener: a late error on it must not crash the process either).
      if (!broken) client.removeListener('error', onError);
      client.release(broken);
    }
  }

  poolStats(): PoolStats {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
      max: this.settings.maxConnections,
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function runQuery<Row>(
  target: pg.Pool | pg.PoolClient,
  sql: string,
  params?: readonly unknown[],
): Promise<QueryResult<Row>> {
  try {
    const result = params ? await target.query(sql, params as unknown[]) : await target.query(sql);
    // A multi-statement script returns an array of results; callers of exec() ignore it.
    const single = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
    return { rows: (single?.rows ?? []) as Row[], rowCount: single?.rowCount ?? 0 };
  } catch (error) {
    throw isTransient(error) ? unavailable(error) : error;
  }
}

function unavailable(error: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('The database is unavailable; try again shortly.', 5, { cause: error });
}

function clientConfig(
  settings: PostgresSettings,
  ssl: ConnectionOptions | false,
  serverSideTimeout: boolean,
): pg.PoolConfig {
  return {
    host: settings.host,
    port: settings.port,
    user: settings.user,
    password: settings.password,
    database: settings.database,
    application_name: 'hellojohn',
    ssl,
    // DATABASE_POOL_TIMEOUT: a pool slot not free (or a new connection not open) within this long fails
    // the request with 503 instead of queueing without bound.
    connectionTimeoutMillis: settings.poolTimeoutMs,
    ...(settings.options ? { options: settings.options } : {}),
    ...(settings.statementTimeoutMs > 0
      ? serverSideTimeout
        ? { statement_timeout: settings.statementTimeoutMs }
        : { query_timeout: settings.statementTimeoutMs + 1_000 }
      : {}),
  };
}

async function probe(settings: PostgresSettings, ssl: ConnectionOptions | false, serverSideTimeout: boolean) {
  const client = new pg.Client(clientConfig(settings, ssl, serverSideTimeout));
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

/** libpq's sslmode semantics mapped onto Node's TLS options. */
export function tlsOptions(settings: PostgresConfig): ConnectionOptions | false {
  if (settings.sslMode === 'disable') return false;
  const clientCert =
    settings.sslCert && settings.sslKey
      ? { cert: readFileSync(settings.sslCert), key: readFileSync(settings.sslKey) }
      : {};
  // `sslrootcert=system` (as in libpq 16) or no root certificate: Node's bundled public CAs.
  const ca =
    settings.sslRootCert && settings.sslRootCert !== 'system'
      ? { ca: readFileSync(settings.sslRootCert) }
      : {};
  // As in libpq, `require` with an explicit root certificate verifies the chain like `verify-ca`.
  const mode = settings.sslMode === 'require' && settings.sslRootCert ? 'verify-ca' : settings.sslMode;
  switch (mode) {
    case 'prefer':
    case 'require':
      return { rejectUnauthorized: false, ...clientCert };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...ca, ...clientCert };
    case 'verify-full':
      return { rejectUnauthorized: true, ...ca, ...clientCert };
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '57014', // query_canceled: statement timeout
  '53300', // too_many_connections
]);

/** True for failures that say "the database is not there right now", as opposed to a bad query. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended/i.test(
    error.message,
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describeConnectError(error: unknown, settings: PostgresSettings): string {
  const message = errorMessage(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME/.test(code)) {
    return `TLS certificate verification failed (sslmode=${settings.sslMode}): ${message}`;
  }
  if (/altnames|certificate/i.test(message)) {
    return `TLS certificate verification failed (sslmode=${settings.sslMode}): ${message}`;
  }
  if (/no pg_hba\.conf entry.*no encryption/i.test(message)) {
    return `${message} — the server requires TLS but sslmode=${settings.sslMode}`;
  }
  if (code === '28P01' || code === '28000') return `authentication failed: ${message}`;
  if (code === '3D000') return `${message} (create it first: createdb ${settings.database})`;
  return message || (typeof code === 'string' ? code : 'unknown error');
}
