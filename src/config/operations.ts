// The sections about running the service: environment, logging, the session cache, mail and the sweeper.
import { ConfigError, boolean, duration, integer, parseDuration, quote, type Reader } from './parse.js';

export const APP_ENVS = ['dev', 'staging', 'prod'] as const;
export type AppEnv = (typeof APP_ENVS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `auto`: readable lines when stdout is a terminal, JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The in-process cache of live sessions in front of PostgreSQL (src/cache/). */
export interface CacheConfig {
  /** Entry lifetime without Redis, or while Redis is unreachable; 0 disables the cache. */
  sessionTtlMs: number;
  /** Entry lifetime while Redis pub/sub invalidation is connected; 0 disables the cache. */
  sessionTtlWithRedisMs: number;
}

export function cacheConfig(read: Reader): CacheConfig {
  return {
    sessionTtlMs: duration(read, 'SESSION_CACHE_TTL', '5s', 0),
    sessionTtlWithRedisMs: duration(read, 'SESSION_CACHE_REDIS_TTL', '60s', 0),
  };
}

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string | undefined;
  password: string | undefined;
  from: string;
}

export interface MailConfig {
  /**
   * Without SMTP, write whole messages (links included) to the log: only where this cannot be production
   * by accident, i.e. APP_ENV=dev set explicitly, or APP_ENV unset on the embedded database.
   */
  devMailLog: boolean;
  smtp: SmtpConfig | undefined;
}

export function smtpConfig(read: Reader): SmtpConfig | undefined {
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

export interface SweeperConfig {
  intervalMs: number;
  batchSize: number;
  /** Audit events older than this are swept (AUDIT_RETENTION); 0 keeps them forever. */
  auditRetentionMs: number;
}

export function sweeperConfig(read: Reader): SweeperConfig {
  return {
    intervalMs: duration(read, 'SWEEPER_INTERVAL', '5m', 1000),
    batchSize: integer(read, 'SWEEPER_BATCH_SIZE', 1000, 1, 100_000),
    auditRetentionMs: auditRetention(read),
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
