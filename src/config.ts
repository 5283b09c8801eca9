// The only module that reads the environment (and `.env`). Everything else receives a Config.
// Every variable is parsed and validated once; the first bad value throws a ConfigError naming it.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export type AppEnv = 'dev' | 'staging' | 'prod';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** `auto`: readable lines when stdout is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

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

export interface Config {
  env: AppEnv;
  database: (PostgresConfig | PgliteConfig) & {
    maxConnections: number;
    statementTimeoutMs: number;
    /** How long startup keeps retrying an unreachable database before giving up. */
    connectTimeoutMs: number;
    /** How long a query may wait for a pooled connection (or for a new one to open) before failing with 503. */
    poolTimeoutMs: number;
  };
  migrateOnStart: boolean;
  allowNewerSchema: boolean;
  dataDir: string;
  redisUrl: string | undefined;
  /** The in-process cache of live sessions in front of PostgreSQL (src/cache/). */
  cache: {
    /** Entry lifetime without Redis, or while Redis is unreachable; 0 disables the cache. */
    sessionTtlMs: number;
    /** Entry lifetime while Redis pub/sub invalidation is connected; 0 disables the cache. */
    sessionTtlWithRedisMs: number;
  };
  http: {
    host: string;
    port: number;
    baseUrl: URL;
    /**
     * Whose X-Forwarded-* headers to believe (TRUST_PROXY): false for nobody; a number for that many
     * proxies nearest to the server (`true` is 1); or a comma-separated list of proxy addresses and CIDR
     * ranges, such as "10.0.0.0/8,192.168.1.1".
     */
    trustProxy: false | number | string;
    corsOrigins: string[];
    bodyLimitBytes: number;
    shutdownTimeoutMs: number;
  };
  logLevel: LogLevel;
  logFormat: LogFormat;
  keys: {
    signingMasterKey: Buffer | undefined;
    secretboxMasterKey: Buffer | undefined;
    /** How long a retired signing key stays in the JWKS (and keeps verifying tokens). */
    rotationGraceMs: number;
  };
  tokens: {
    accessTtlMs: number;
    refreshTtlMs: number;
    idTokenTtlMs: number;
    refreshReuseDetection: boolean;
    /** Absolute lifetime of an offline grant (offline_access), which outlives the browser session. */
    offlineSessionTtlMs: number;
    /** Lifetime of an OAuth authorization code (RFC 9700: short; single use). */
    authCodeTtlMs: number;
    /** How long a user has to finish signing in and consenting once /oauth2/authorize sent them away. */
    interactionTtlMs: number;
  };
  sessions: {
    /** Absolute lifetime of a session (browser or API). */
    ttlMs: number;
    /** A session unused for this long ends (refresh or cookie use extends it). */
    idleTtlMs: number;
    /** Defaults to true when BASE_URL is https. */
    secure: boolean;
    sameSite: 'lax' | 'strict' | 'none';
    domain: string | undefined;
  };
  auth: {
    registerAutoLogin: boolean;
    verifyEmailTtlMs: number;
    resetPasswordTtlMs: number;
  };
  passwords: {
    minLength: number;
    maxLength: number;
    argon2: { memoryKiB: number; iterations: number; parallelism: number };
    /** Threads that run Argon2 (PASSWORD_HASH_THREADS; one per core, at most 4, by default). */
    hashThreads: number;
    breachedCheck: boolean;
    hibpApiUrl: string;
  };
  rateLimits: {
    /**
     * Requests per address per minute on each of login, register, forgot and first-party refresh, and
     * token requests of a public OAuth client per address. Sized for many users behind one NAT.
     */
    perIpPerMinute: number;
    /** Failures (wrong passwords, bad client credentials) per address per minute, all endpoints together. */
    failuresPerIpPerMinute: number;
    /** Forgot-password and verification mails requested per account (email) per minute. */
    perAccountPerMinute: number;
    /** Token endpoint requests per authenticated OAuth client per minute, from all addresses together. */
    perClientPerMinute: number;
    loginMaxFailures: number;
    loginLockoutMs: number;
  };
  /**
   * Without SMTP, write whole messages (links included) to the log: only where this cannot be production
   * by accident, i.e. APP_ENV=dev set explicitly, or APP_ENV unset on the embedded database.
   */
  devMailLog: boolean;
  smtp:
    | {
        host: string;
        port: number;
        secure: boolean;
        user: string | undefined;
        password: string | undefined;
        from: string;
      }
    | undefined;
  sweeper: {
    intervalMs: number;
    batchSize: number;
    /** Audit events older than this are swept (AUDIT_RETENTION); 0 keeps them forever. */
    auditRetentionMs: number;
  };
  metrics: {
    enabled: boolean;
    token: string | undefined;
    /** Also serve /metrics on the main port (METRICS_ON_MAIN_PORT); only allowed with a token. */
    onMainPort: boolean;
  };
  /** The management listener: /metrics, /health and /ready, on loopback unless told otherwise. */
  management: { host: string; port: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} ${detail}`);
  }
}

type Env = Record<string, string | undefined>;

/** Reads `.env` from `cwd` (if present) under the real environment: real variables win, as with dotenv. */
export function readEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env = readEnvironment()): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const appEnv = oneOf(read, 'APP_ENV', ['dev', 'staging', 'prod'] as const, 'dev');
  const dataDir = path.resolve(read('DATA_DIR') ?? './data');
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

  const signingMasterKey = key(read, 'SIGNING_MASTER_KEY', 'hex');
  const secretboxMasterKey = key(read, 'SECRETBOX_MASTER_KEY', 'base64');
  if (appEnv === 'prod') {
    if (!signingMasterKey) throw new ConfigError('SIGNING_MASTER_KEY', 'is required when APP_ENV=prod');
    if (!secretboxMasterKey) throw new ConfigError('SECRETBOX_MASTER_KEY', 'is required when APP_ENV=prod');
  }

  const httpBase = baseUrl(read);
  return {
    env: appEnv,
    database: { ...database, maxConnections, statementTimeoutMs, connectTimeoutMs, poolTimeoutMs },
    migrateOnStart: boolean(read, 'MIGRATE_ON_START', true),
    allowNewerSchema: boolean(read, 'ALLOW_NEWER_SCHEMA', false),
    dataDir,
    redisUrl: optionalUrl(read, 'REDIS_URL', ['redis:', 'rediss:']),
    cache: {
      sessionTtlMs: duration(read, 'SESSION_CACHE_TTL', '5s', 0),
      sessionTtlWithRedisMs: duration(read, 'SESSION_CACHE_REDIS_TTL', '60s', 0),
    },
    http: {
      host: read('HOST') ?? '0.0.0.0',
      port: integer(read, 'PORT', 8080, 0, 65_535),
      baseUrl: httpBase,
      trustProxy: trustProxy(read),
      corsOrigins: corsOrigins(read),
      bodyLimitBytes: integer(read, 'HTTP_BODY_LIMIT', 256 * 1024, 1024, 64 * 1024 * 1024),
      shutdownTimeoutMs: duration(read, 'SHUTDOWN_TIMEOUT', '10s', 0),
    },
    logLevel: oneOf(
      read,
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    logFormat: oneOf(read, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    keys: {
      signingMasterKey,
      secretboxMasterKey,
      rotationGraceMs: duration(read, 'KEY_ROTATION_GRACE', '24h', 0),
    },
    tokens: {
      accessTtlMs: duration(read, 'ACCESS_TTL', '15m', 1000),
      refreshTtlMs: duration(read, 'REFRESH_TTL', '720h', 1000),
      idTokenTtlMs: duration(read, 'ID_TOKEN_TTL', '1h', 1000),
      refreshReuseDetection: boolean(read, 'FEATURE_REFRESH_REUSE_DETECTION', true),
      offlineSessionTtlMs: duration(read, 'OFFLINE_SESSION_TTL', '2160h', 1000),
      authCodeTtlMs: duration(read, 'AUTH_CODE_TTL', '60s', 1000),
      interactionTtlMs: duration(read, 'INTERACTION_TTL', '15m', 10_000),
    },
    sessions: sessions(read, httpBase),
    auth: {
      registerAutoLogin: boolean(read, 'REGISTER_AUTO_LOGIN', true),
      verifyEmailTtlMs: duration(read, 'VERIFY_EMAIL_TTL', '48h', 1000),
      resetPasswordTtlMs: duration(read, 'RESET_PASSWORD_TTL', '1h', 1000),
    },
    passwords: passwords(read),
    rateLimits: {
      // Defaults and their reasoning: docs/authentication.md#abuse-protection.
      perIpPerMinute: integer(read, 'RATE_LIMIT_PER_IP', 300, 1, 1_000_000),
      failuresPerIpPerMinute: integer(read, 'RATE_LIMIT_FAILURES_PER_IP', 30, 1, 1_000_000),
      perAccountPerMinute: integer(read, 'RATE_LIMIT_PER_ACCOUNT', 10, 1, 1_000_000),
      perClientPerMinute: integer(read, 'RATE_LIMIT_PER_CLIENT', 12_000, 1, 10_000_000),
      loginMaxFailures: integer(read, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      loginLockoutMs: duration(read, 'LOGIN_LOCKOUT', '15m', 1000),
    },
    smtp: smtp(read),
    metrics: metrics(read),
    management: management(read),
    sweeper: {
      intervalMs: duration(read, 'SWEEPER_INTERVAL', '5m', 1000),
      batchSize: integer(read, 'SWEEPER_BATCH_SIZE', 1000, 1, 100_000),
      auditRetentionMs: auditRetention(read),
    },
    devMailLog: read('APP_ENV') === 'dev' || (read('APP_ENV') === undefined && database.kind === 'pglite'),
  };
}

/** AUDIT_RETENTION: a duration of at least a day, or 0 / off to keep audit events forever. */
function auditRetention(read: Reader): number {
  const value = read('AUDIT_RETENTION');
  if (value === '0' || value?.toLowerCase() === 'off') return 0;
  const retentionMs = parseDuration(value ?? '90d');
  if (retentionMs === undefined || retentionMs < 86_400_000) {
    throw new ConfigError(
      'AUDIT_RETENTION',
      `must be a duration of at least 1d, or 0 / off (got ${quote(value!)})`,
    );
  }
  return retentionMs;
}

function sessions(read: Reader, base: URL): Config['sessions'] {
  const ttlMs = duration(read, 'SESSION_TTL', '24h', 1000);
  const idleTtlMs = Math.min(duration(read, 'SESSION_IDLE_TTL', '24h', 1000), ttlMs);
  const sameSite = oneOf(
    read,
    'SESSION_SAMESITE',
    ['lax', 'strict', 'none', 'Lax', 'Strict', 'None'] as const,
    'lax',
  );
  const secure = boolean(read, 'SESSION_SECURE', base.protocol === 'https:');
  const normalized = sameSite.toLowerCase() as 'lax' | 'strict' | 'none';
  if (normalized === 'none' && !secure) {
    throw new ConfigError(
      'SESSION_SAMESITE',
      'may be None only with secure cookies (SESSION_SECURE=true or an https BASE_URL)',
    );
  }
  const domain = read('SESSION_DOMAIN');
  if (domain !== undefined && !/^\.?[a-z0-9.-]+$/i.test(domain)) {
    throw new ConfigError('SESSION_DOMAIN', `must be a host name (got ${quote(domain)})`);
  }
  return { ttlMs, idleTtlMs, secure, sameSite: normalized, domain };
}

function passwords(read: Reader): Config['passwords'] {
  const minLength = integer(read, 'PASSWORD_MIN_LENGTH', 8, 1, 1024);
  const maxLength = integer(read, 'PASSWORD_MAX_LENGTH', 128, 1, 1024);
  if (maxLength < minLength) {
    throw new ConfigError('PASSWORD_MAX_LENGTH', `must be at least PASSWORD_MIN_LENGTH (${minLength})`);
  }
  const hibp = read('HIBP_API_URL') ?? 'https://api.pwnedpasswords.com';
  if (!/^https?:\/\//.test(hibp) || !URL.canParse(hibp)) {
    throw new ConfigError('HIBP_API_URL', `must be an http(s) URL (got ${quote(hibp)})`);
  }
  return {
    minLength,
    maxLength,
    argon2: {
      memoryKiB: integer(read, 'ARGON2_MEMORY_KIB', 19_456, 1024, 4_194_304),
      iterations: integer(read, 'ARGON2_ITERATIONS', 2, 1, 100),
      parallelism: integer(read, 'ARGON2_PARALLELISM', 1, 1, 64),
    },
    // Node 20 counts the host's cores, not a container's CPU quota: at most 4 unless set.
    hashThreads: integer(read, 'PASSWORD_HASH_THREADS', Math.min(4, availableParallelism()), 1, 256),
    breachedCheck: boolean(read, 'BREACHED_PASSWORD_CHECK', false),
    hibpApiUrl: hibp.replace(/\/+$/, ''),
  };
}

function metrics(read: Reader): Config['metrics'] {
  const token = read('METRICS_TOKEN');
  const onMainPort = boolean(read, 'METRICS_ON_MAIN_PORT', false);
  // The main port is the public one: metrics there without a token would hand anyone the traffic figures.
  if (onMainPort && token === undefined) {
    throw new ConfigError(
      'METRICS_ON_MAIN_PORT',
      'requires METRICS_TOKEN (metrics on the public port need a token)',
    );
  }
  return { enabled: boolean(read, 'METRICS_ENABLED', true), token, onMainPort };
}

function management(read: Reader): Config['management'] {
  const port = integer(read, 'MANAGEMENT_PORT', 9000, 0, 65_535);
  if (port !== 0 && port === integer(read, 'PORT', 8080, 0, 65_535)) {
    throw new ConfigError('MANAGEMENT_PORT', `must differ from PORT (both are ${port})`);
  }
  return { host: read('MANAGEMENT_HOST') ?? '127.0.0.1', port };
}

function smtp(read: Reader): Config['smtp'] {
  const host = read('SMTP_HOST');
  if (host === undefined) return undefined;
  const port = integer(read, 'SMTP_PORT', 587, 1, 65_535);
  const from = read('SMTP_FROM');
  if (from === undefined)
    throw new ConfigError(
      'SMTP_FROM',
      'is required when SMTP_HOST is set (e.g. "HelloJohn <no-reply@example.com>")',
    );
  const user = read('SMTP_USER');
  const password = read('SMTP_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    throw new ConfigError(
      user === undefined ? 'SMTP_USER' : 'SMTP_PASSWORD',
      'must be set together with the other',
    );
  }
  return { host, port, secure: boolean(read, 'SMTP_SECURE', port === 465), user, password, from };
}

type Reader = (name: string) => string | undefined;

const quote = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);

function oneOf<T extends string>(read: Reader, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(name);
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got ${quote(value)})`);
}

function integer(read: Reader, name: string, fallback: number, min: number, max: number): number {
  const value = read(name);
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got ${quote(value)})`);
  }
  return parsed;
}

function boolean(read: Reader, name: string, fallback: boolean): boolean {
  const value = read(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false (got ${quote(value)})`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses Go-style durations: `500ms`, `10s`, `15m`, `720h`, `1h30m`. A bare number means seconds. */
export function parseDuration(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parts = /^(?:\d+(?:ms|s|m|h|d))+$/.test(value) ? value.match(/\d+(?:ms|s|m|h|d)/g) : null;
  if (!parts) return undefined;
  let total = 0;
  for (const part of parts) {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(part)!;
    total += Number(amount) * DURATION_UNITS[unit!]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

function duration(read: Reader, name: string, fallback: string, minMs: number): number {
  const value = read(name) ?? fallback;
  const parsed = parseDuration(value);
  if (parsed === undefined || parsed < minMs) {
    throw new ConfigError(name, `must be a duration such as 500ms, 10s, 15m or 720h (got ${quote(value)})`);
  }
  return parsed;
}

function key(read: Reader, name: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const valid = encoding === 'hex' ? /^[0-9a-fA-F]{64}$/.test(value) : /^[A-Za-z0-9+/]{43}=$/.test(value);
  if (!valid) {
    const form = encoding === 'hex' ? '64 hex characters' : '44 base64 characters';
    throw new ConfigError(
      name,
      `must be 32 bytes written as ${form} (generate one with: openssl rand -${encoding === 'hex' ? 'hex' : 'base64'} 32)`,
    );
  }
  return Buffer.from(value, encoding);
}

function optionalUrl(read: Reader, name: string, protocols: string[]): string | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return value;
}

function baseUrl(read: Reader): URL {
  const value = read('BASE_URL') ?? 'http://localhost:8080';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('BASE_URL', `is not a valid URL (got ${quote(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('BASE_URL', 'must be an http:// or https:// URL');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('BASE_URL', 'must not contain credentials, a query or a fragment');
  }
  // The issuer is compared byte for byte by relying parties: keep it without a trailing slash.
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

const MAX_PROXY_HOPS = 100;

/** TRUST_PROXY: false, true (one proxy), a number of proxies, or a list of proxy addresses and CIDR ranges. */
function trustProxy(read: Reader): Config['http']['trustProxy'] {
  const value = read('TRUST_PROXY');
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  // Only the proxy in front of the server: trusting every hop would believe whatever the client wrote
  // at the start of X-Forwarded-For.
  if (['true', 'yes', 'on'].includes(lower)) return 1;
  const hops = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isSafeInteger(hops) && hops >= 1 && hops <= MAX_PROXY_HOPS) return hops;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (entries.length > 0 && bad === undefined) return entries.join(',');
  if (entries.length > 1 && bad !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `has an entry that is not an IP address or CIDR range like 10.0.0.0/8 (got ${quote(bad)})`,
    );
  }
  throw new ConfigError(
    'TRUST_PROXY',
    `must be true, false, a number of proxies from 1 to ${MAX_PROXY_HOPS}, or a comma-separated list of proxy IP addresses and CIDR ranges (got ${quote(value)})`,
  );
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  // Zone ids (fe80::1%eth0) are refused: Fastify accepts them, but such an entry never matches.
  const family = address.includes('%') || rest.length > 0 ? 0 : isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  // A /0 would trust every address, which is what TRUST_PROXY=true no longer does.
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

function corsOrigins(read: Reader): string[] {
  const value = read('CORS_ORIGINS');
  if (value === undefined) return [];
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => {
      let url: URL | undefined;
      try {
        url = new URL(origin);
      } catch {
        url = undefined;
      }
      if (!url || url.origin !== origin) {
        throw new ConfigError(
          'CORS_ORIGINS',
          `has an entry that is not an origin like https://app.example.com (got ${quote(origin)})`,
        );
      }
      return origin;
    });
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
