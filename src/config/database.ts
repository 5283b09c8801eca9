// The database section: PostgreSQL from DATABASE_URL (a libpq-style URL), or the embedded PGlite.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AppEnv } from './operations.js';
import { ConfigError, duration, integer, type Reader } from './parse.js';

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresConfig {
  kind: 'postgres';
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslMode: SslMode;
  sslRootCert: string | undefined;
  sslCert: string | undefined;
  sslKey: string | undefined;
  /** Extra startup options (`options=` in the URL); only sent when given, PgBouncer rejects it. */
  options: string | undefined;
  /** Redacted form for logs and messages: never contains the password. */
  display: string;
}

export interface PgliteConfig {
  kind: 'pglite';
  dataDir: string;
}

export type DatabaseConfig = (PostgresConfig | PgliteConfig) & {
  maxConnections: number;
  statementTimeoutMs: number;
  /** How long startup keeps retrying an unreachable database before giving up. */
  connectTimeoutMs: number;
  /** How long a query may wait for a pooled connection (or for a new one to open) before failing with 503. */
  poolTimeoutMs: number;
};

export function databaseConfig(read: Reader, appEnv: AppEnv, dataDir: string): DatabaseConfig {
  const databaseUrl = read('DATABASE_URL');
  const maxConnections = integer(read, 'DATABASE_MAX_CONNECTIONS', 10, 1, 10_000);
  const statementTimeoutMs = duration(read, 'DATABASE_STATEMENT_TIMEOUT', '10s', 0);
  const connectTimeoutMs = duration(read, 'DATABASE_CONNECT_TIMEOUT', '30s', 0);
  const poolTimeoutMs = duration(read, 'DATABASE_POOL_TIMEOUT', '5s', 100);

  if (!databaseUrl && appEnv === 'prod') {
    throw new ConfigError(
      'DATABASE_URL',
      'is required when APP_ENV=prod (the embedded PGlite database is for development only)',
    );
  }
  const database = databaseUrl
    ? parseDatabaseUrl(databaseUrl, read('PGSSLROOTCERT'))
    : ({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') } satisfies PgliteConfig);
  return { ...database, maxConnections, statementTimeoutMs, connectTimeoutMs, poolTimeoutMs };
}

const SSL_MODES: readonly SslMode[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];
const URL_PARAMS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'host', 'port', 'options']);

/** Parses a libpq-style URL. Unknown query parameters are refused rather than silently ignored. */
export function parseDatabaseUrl(value: string, pgSslRootCert?: string): PostgresConfig {
  const name = 'DATABASE_URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      name,
      'is not a valid URL (expected postgres://user:password@host:5432/database?sslmode=require)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  for (const param of url.searchParams.keys()) {
    if (!URL_PARAMS.has(param)) {
      throw new ConfigError(
        name,
        `has an unsupported parameter "${param}" (supported: ${[...URL_PARAMS].join(', ')})`,
      );
    }
  }
  const params = url.searchParams;
  const sslModeRaw = params.get('sslmode') ?? 'prefer';
  if (!(SSL_MODES as readonly string[]).includes(sslModeRaw)) {
    throw new ConfigError(
      name,
      `has an unknown sslmode "${sslModeRaw}" (use one of ${SSL_MODES.join(', ')})`,
    );
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ConfigError(name, 'has badly percent-encoded characters');
    }
  };
  const host = params.get('host') ?? (decode(url.hostname).replace(/^\[(.*)\]$/, '$1') || 'localhost');
  const portRaw = params.get('port') ?? (url.port || '5432');
  const port = /^\d+$/.test(portRaw) ? Number(portRaw) : NaN;
  if (!(port >= 1 && port <= 65_535)) throw new ConfigError(name, `has an invalid port "${portRaw}"`);
  const database = decode(url.pathname.replace(/^\//, ''));
  const user = decode(url.username);
  if (!user) throw new ConfigError(name, 'must name a user (postgres://USER:PASSWORD@HOST/DATABASE)');
  if (!database || database.includes('/')) {
    throw new ConfigError(name, 'must name a database (postgres://USER:PASSWORD@HOST/DATABASE)');
  }
  const sslMode = sslModeRaw as SslMode;
  const sslRootCert = params.get('sslrootcert') ?? pgSslRootCert;
  const sslCert = params.get('sslcert') ?? undefined;
  const sslKey = params.get('sslkey') ?? undefined;
  // As in libpq 16: the public CA store proves nothing about who the server is unless the name is checked.
  if (sslRootCert === 'system' && sslMode !== 'verify-full') {
    throw new ConfigError(name, 'may use sslrootcert=system only with sslmode=verify-full');
  }
  for (const [param, file] of [
    ['sslrootcert', sslRootCert],
    ['sslcert', sslCert],
    ['sslkey', sslKey],
  ] as const) {
    if (param === 'sslrootcert' && file === 'system') continue;
    if (file !== undefined && sslMode !== 'disable' && !existsSync(file)) {
      throw new ConfigError(name, `names ${param}=${file}, which does not exist`);
    }
  }
  if ((sslCert === undefined) !== (sslKey === undefined)) {
    throw new ConfigError(name, 'needs both sslcert and sslkey for a client certificate');
  }
  const display = `postgres://${user}@${host.includes(':') ? `[${host}]` : host}:${port}/${database}?sslmode=${sslMode}`;
  return {
    kind: 'postgres',
    host,
    port,
    user,
    password: url.password ? decode(url.password) : undefined,
    database,
    sslMode,
    sslRootCert,
    sslCert,
    sslKey,
    options: params.get('options') ?? undefined,
    display,
  };
}
