// The sections about signing in and what it hands out: signing keys, tokens, sessions, the email flows,
// the password policy and the abuse limits.
import { availableParallelism } from 'node:os';
import type { AppEnv } from './operations.js';
import { ConfigError, boolean, duration, integer, key, oneOf, quote, type Reader } from './parse.js';

export interface KeysConfig {
  signingMasterKey: Buffer | undefined;
  secretboxMasterKey: Buffer | undefined;
  /** How long a retired signing key stays in the JWKS (and keeps verifying tokens). */
  rotationGraceMs: number;
  /** Keys older than this are rotated by the schedule; 0: only by hand. */
  rotationIntervalMs: number;
}

export function keysConfig(read: Reader, appEnv: AppEnv): KeysConfig {
  const signingMasterKey = key(read, 'SIGNING_MASTER_KEY', 'hex');
  const secretboxMasterKey = key(read, 'SECRETBOX_MASTER_KEY', 'base64');
  if (appEnv === 'prod') {
    if (!signingMasterKey) throw new ConfigError('SIGNING_MASTER_KEY', 'is required when APP_ENV=prod');
    if (!secretboxMasterKey) throw new ConfigError('SECRETBOX_MASTER_KEY', 'is required when APP_ENV=prod');
  }
  return {
    signingMasterKey,
    secretboxMasterKey,
    rotationGraceMs: duration(read, 'KEY_ROTATION_GRACE', '24h', 0),
    rotationIntervalMs: rotationInterval(read),
  };
}

/** `0` turns the schedule off; otherwise at least an hour (a shorter one only grows the JWKS). */
function rotationInterval(read: Reader): number {
  const ms = duration(read, 'KEY_ROTATION_INTERVAL', '90d', 0);
  if (ms !== 0 && ms < 3_600_000)
    throw new ConfigError('KEY_ROTATION_INTERVAL', 'must be 0 (off) or at least 1h');
  return ms;
}

export interface TokenConfig {
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
  /** How long a sign-in waits for its second step (the `mfa_token`). */
  mfaTokenTtlMs: number;
}

export function tokenConfig(read: Reader): TokenConfig {
  return {
    accessTtlMs: duration(read, 'ACCESS_TTL', '15m', 1000),
    refreshTtlMs: duration(read, 'REFRESH_TTL', '720h', 1000),
    idTokenTtlMs: duration(read, 'ID_TOKEN_TTL', '1h', 1000),
    refreshReuseDetection: boolean(read, 'FEATURE_REFRESH_REUSE_DETECTION', true),
    offlineSessionTtlMs: duration(read, 'OFFLINE_SESSION_TTL', '2160h', 1000),
    authCodeTtlMs: duration(read, 'AUTH_CODE_TTL', '60s', 1000),
    interactionTtlMs: duration(read, 'INTERACTION_TTL', '15m', 10_000),
    mfaTokenTtlMs: duration(read, 'MFA_TOKEN_TTL', '5m', 1000),
  };
}

export interface SessionConfig {
  /** Absolute lifetime of a session (browser or API). */
  ttlMs: number;
  /** A session unused for this long ends (refresh or cookie use extends it). */
  idleTtlMs: number;
  /** Defaults to true when BASE_URL is https. */
  secure: boolean;
  sameSite: 'lax' | 'strict' | 'none';
  domain: string | undefined;
  /** A sensitive change (password, removing a factor) needs a sign-in at most this old (auth_time). */
  recentLoginMs: number;
}

export function sessionConfig(read: Reader, base: URL): SessionConfig {
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
  const recentLoginMs = duration(read, 'SESSION_RECENT_LOGIN', '5m', 1000);
  return { ttlMs, idleTtlMs, secure, sameSite: normalized, domain, recentLoginMs };
}

/** Registration and the email flows (verification, password reset). */
export interface AuthConfig {
  registerAutoLogin: boolean;
  verifyEmailTtlMs: number;
  resetPasswordTtlMs: number;
}

export function authConfig(read: Reader): AuthConfig {
  return {
    registerAutoLogin: boolean(read, 'REGISTER_AUTO_LOGIN', true),
    verifyEmailTtlMs: duration(read, 'VERIFY_EMAIL_TTL', '48h', 1000),
    resetPasswordTtlMs: duration(read, 'RESET_PASSWORD_TTL', '1h', 1000),
  };
}

export interface PasswordConfig {
  minLength: number;
  maxLength: number;
  argon2: { memoryKiB: number; iterations: number; parallelism: number };
  /** Threads that run Argon2 (PASSWORD_HASH_THREADS; one per core, at most 4, by default). */
  hashThreads: number;
  breachedCheck: boolean;
  hibpApiUrl: string;
}

export function passwordConfig(read: Reader): PasswordConfig {
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

export interface RateLimitConfig {
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
}

export function rateLimitConfig(read: Reader): RateLimitConfig {
  return {
    // Defaults and their reasoning: docs/authentication.md#abuse-protection.
    perIpPerMinute: integer(read, 'RATE_LIMIT_PER_IP', 300, 1, 1_000_000),
    failuresPerIpPerMinute: integer(read, 'RATE_LIMIT_FAILURES_PER_IP', 30, 1, 1_000_000),
    perAccountPerMinute: integer(read, 'RATE_LIMIT_PER_ACCOUNT', 10, 1, 1_000_000),
    perClientPerMinute: integer(read, 'RATE_LIMIT_PER_CLIENT', 12_000, 1, 10_000_000),
    loginMaxFailures: integer(read, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginLockoutMs: duration(read, 'LOGIN_LOCKOUT', '15m', 1000),
  };
}
