// The only module that reads the environment (and `.env`). Everything else receives a Config, or the
// section of it that it needs. Every variable is parsed and validated once (src/config/: pure functions
// of the environment record passed in); the first bad value throws a ConfigError naming it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import {
  authConfig,
  keysConfig,
  passwordConfig,
  rateLimitConfig,
  sessionConfig,
  tokenConfig,
  type AuthConfig,
  type KeysConfig,
  type PasswordConfig,
  type RateLimitConfig,
  type SessionConfig,
  type TokenConfig,
} from './config/auth.js';
import { consoleConfig, type ConsoleConfig } from './config/console.js';
import { databaseConfig, type DatabaseConfig } from './config/database.js';
import { mfaConfig, type MfaConfig } from './config/mfa.js';
import {
  baseUrl,
  httpConfig,
  managementConfig,
  metricsConfig,
  type HttpConfig,
  type ManagementConfig,
  type MetricsConfig,
} from './config/http.js';
import {
  APP_ENVS,
  LOG_FORMATS,
  LOG_LEVELS,
  cacheConfig,
  smtpConfig,
  sweeperConfig,
  type AppEnv,
  type CacheConfig,
  type LogFormat,
  type LogLevel,
  type MailConfig,
  type SweeperConfig,
} from './config/operations.js';
import { mfaCodesConfig, type MfaCodesConfig } from './config/mfa-codes.js';
import { emailSignInConfig, type EmailSignInConfig } from './config/email-sign-in.js';
import { boolean, oneOf, optionalUrl, readerOf, type Env } from './config/parse.js';
import { smsConfig, type SmsConfig } from './config/sms.js';
import { socialConfig, type SocialConfig } from './config/social.js';
import { webhookConfig, type WebhookConfig } from './config/webhooks.js';

export { ConfigError, parseDuration } from './config/parse.js';
export { parseDatabaseUrl, type PgliteConfig, type PostgresConfig, type SslMode } from './config/database.js';
// The sections, for services that receive only the one they need.
export type {
  AppEnv,
  AuthConfig,
  CacheConfig,
  ConsoleConfig,
  DatabaseConfig,
  HttpConfig,
  KeysConfig,
  LogFormat,
  LogLevel,
  MailConfig,
  ManagementConfig,
  MetricsConfig,
  MfaConfig,
  PasswordConfig,
  RateLimitConfig,
  SessionConfig,
  SweeperConfig,
  TokenConfig,
};
export type { SmtpConfig } from './config/operations.js';
export type { MfaCodesConfig, OneTimeCodeConfig } from './config/mfa-codes.js';
export type { EmailSignInConfig } from './config/email-sign-in.js';
export type { SmsConfig, SmsProvider, TwilioSmsConfig, VonageSmsConfig } from './config/sms.js';
export type { SocialConfig } from './config/social.js';
export type { WebhookConfig } from './config/webhooks.js';

export interface Config extends MailConfig {
  env: AppEnv;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  allowNewerSchema: boolean;
  dataDir: string;
  redisUrl: string | undefined;
  cache: CacheConfig;
  http: HttpConfig;
  logLevel: LogLevel;
  logFormat: LogFormat;
  keys: KeysConfig;
  tokens: TokenConfig;
  sessions: SessionConfig;
  auth: AuthConfig;
  passwords: PasswordConfig;
  rateLimits: RateLimitConfig;
  mfa: MfaConfig;
  sweeper: SweeperConfig;
  metrics: MetricsConfig;
  management: ManagementConfig;
  /** The SMS provider for MFA codes; undefined when MFA_SMS_PROVIDER is unset (no SMS factor). */
  sms: SmsConfig | undefined;
  /** Digits and lifetime of the email and SMS second-factor codes. */
  mfaCodes: MfaCodesConfig;
  /** Sign-in links and codes by email: their lifetimes and the codes' digits. */
  emailSignIn: EmailSignInConfig;
  /** Social sign-in: provider addresses and time limits. */
  social: SocialConfig;
  /** Signed webhooks: SSRF rules, delivery timeouts, retries and retention. */
  webhooks: WebhookConfig;
  /** The admin console: its first operator, made at startup (HELLOJOHN_ADMIN_EMAIL / _PASSWORD). */
  console: ConsoleConfig;
}

/** Reads `.env` from `cwd` (if present) under the real environment: real variables win, as with dotenv. */
export function readEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env = readEnvironment()): Config {
  const read = readerOf(env);
  const appEnv = oneOf(read, 'APP_ENV', APP_ENVS, 'dev');
  const dataDir = path.resolve(read('DATA_DIR') ?? './data');
  const database = databaseConfig(read, appEnv, dataDir);
  const keys = keysConfig(read, appEnv);
  const httpBase = baseUrl(read);
  return {
    env: appEnv,
    database,
    migrateOnStart: boolean(read, 'MIGRATE_ON_START', true),
    allowNewerSchema: boolean(read, 'ALLOW_NEWER_SCHEMA', false),
    dataDir,
    redisUrl: optionalUrl(read, 'REDIS_URL', ['redis:', 'rediss:']),
    cache: cacheConfig(read),
    http: httpConfig(read, httpBase),
    logLevel: oneOf(read, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(read, 'LOG_FORMAT', LOG_FORMATS, 'auto'),
    keys,
    tokens: tokenConfig(read),
    sessions: sessionConfig(read, httpBase),
    auth: authConfig(read),
    passwords: passwordConfig(read),
    rateLimits: rateLimitConfig(read),
    mfa: mfaConfig(read),
    smtp: smtpConfig(read),
    sms: smsConfig(read),
    mfaCodes: mfaCodesConfig(read),
    emailSignIn: emailSignInConfig(read),
    social: socialConfig(read),
    webhooks: webhookConfig(read),
    console: consoleConfig(read),
    metrics: metricsConfig(read),
    management: managementConfig(read),
    sweeper: sweeperConfig(read),
    devMailLog: read('APP_ENV') === 'dev' || (read('APP_ENV') === undefined && database.kind === 'pglite'),
  };
}
