// The composition root: every service and every feature module, built once from the configuration, for
// the server (src/app.ts) and the CLI alike. Nothing else constructs services.
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { auditEvents, type AuditEventType } from './audit/events.js';
import { RangeApiBreachedChecker } from './auth/breached.js';
import { BrowserSessions } from './auth/browser-sessions.js';
import { EmailFingerprint } from './auth/audit-fingerprint.js';
import { EnrolledFactors } from './auth/enrolled-factors.js';
import { Login } from './auth/login.js';
import { PasswordAuthenticator } from './auth/password-authenticator.js';
import { PasswordPolicyChecker } from './auth/password-policy.js';
import { RefreshTokens } from './auth/refresh.js';
import { Identities } from './auth/identities.js';
import { RecentSignIn } from './auth/recent-sign-in.js';
import { Registration } from './auth/registration.js';
import { SessionAccess } from './auth/session-access.js';
import { AdminTokens } from './admin/admins.js';
import { AuditLog } from './admin/audit.js';
import { TenantAdmin } from './admin/tenants.js';
import { InvalidationBus, type Invalidation } from './cache/invalidation.js';
import { SessionCache } from './cache/session-cache.js';
import { Clients, type ClientDeletedHook } from './clients/clients.js';
import type { Config } from './config.js';
import { resolveMasterKeys, type MasterKeys } from './crypto/master-keys.js';
import { PasswordHasher } from './crypto/passwords.js';
import type { Database } from './db/database.js';
import { migrations as coreMigrations, type Migration } from './db/migrations/index.js';
import type {
  Authenticator,
  SecondFactor,
  IdentitySource,
  SecondStepPolicy,
  UserRegisteredHook,
} from './kernel/authentication.js';
import type { CoreServices, FeatureModule, ModuleParts, UserExport } from './kernel/module.js';
import { KeyStore } from './keys/key-store.js';
import { EmailLinks } from './mail/email-links.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { MailOutbox } from './mail/outbox.js';
import { TenantMailers } from './mail/tenant-mailers.js';
import { featureModules } from './modules/index.js';
import { noAuthEvents, type AuthEvents } from './observability/metrics.js';
import { IdTokens } from './oauth/id-tokens.js';
import { AuthorizationCodes } from './oauth/authorization-codes.js';
import { InteractionSealer } from './oauth/interaction.js';
import { CORE_LOGIN_CHECKS } from './oauth/interaction-policy.js';
import { OAuthService } from './oauth/service.js';
import { STANDARD_SCOPE_DEFINITIONS, ScopeRegistry } from './oauth/scope-registry.js';
import {
  LoginLockout,
  memoryRateLimitStore,
  redisRateLimitStore,
  type RateLimitStore,
} from './security/rate-limit.js';
import { RequestLimits } from './security/request-limits.js';
import { TenantLifetimes } from './tenants/lifetimes.js';
import { Tenants } from './tenants/tenants.js';
import { AccessTokens } from './tokens/access-tokens.js';
import { UsersAdmin } from './users/service.js';

/** Codes one second-step challenge accepts tries of; then the user signs in again. */
const SECOND_STEP_ATTEMPTS = 5;

export interface ServiceDeps {
  db: Database;
  logger: Logger;
  /** Defaults to the one the configuration describes (SMTP, or the log in development). */
  mailer?: Mailer;
  /** Defaults to Redis when connected, else in-memory counters. */
  rateLimitStore?: RateLimitStore;
  redis?: Redis;
  /** Counters for monitoring; a no-op when absent (the CLI). */
  events?: AuthEvents & ConstructorParameters<typeof InvalidationBus>[0]['events'];
  /** Watches the password hashing pool (metrics). */
  watchHashing?: (stats: () => ReturnType<PasswordHasher['stats']>) => void;
  /** The feature modules to set up; defaults to the ones this build ships (tests add their own). */
  modules?: readonly FeatureModule[];
  /** Defaults to the configured keys (or the development key file, with a warning). */
  masterKeys?: MasterKeys;
}

/** The services behind the routes and commands, and what the feature modules contributed. */
export interface Services extends CoreServices {
  keys: KeyStore;
  accessTokens: AccessTokens;
  clients: Clients;
  admins: AdminTokens;
  /** The audit trail as operators read it (pages, NDJSON export). */
  auditLog: AuditLog;
  users: UsersAdmin;
  refreshTokens: RefreshTokens;
  oauth: OAuthService;
  /** Announces changes to every instance's caches; `on(kind, …)` to drop your own cached data. */
  invalidation: Invalidation;
  signingMasterKey: Buffer;
  modules: readonly { module: FeatureModule; parts: ModuleParts }[];
  /** Every sign-in method, core and contributed. */
  authenticators: readonly Authenticator<never>[];
}

export function buildServices(config: Config, deps: ServiceDeps): Services {
  const { db, logger } = deps;
  const events = deps.events ?? noAuthEvents;
  const modules = deps.modules ?? featureModules;
  const masterKeys = deps.masterKeys ?? resolveMasterKeys(config, logger);
  const invalidation = new InvalidationBus({ redis: deps.redis, logger, events: deps.events });
  const tenants = new Tenants(db, config.http.baseUrl, invalidation);
  const keys = new KeyStore(db, masterKeys.secretbox, config.keys.rotationGraceMs, invalidation);
  const lifetimes = new TenantLifetimes(config);
  const accessTokens = new AccessTokens(keys, lifetimes);
  const outbox = new MailOutbox(
    new TenantMailers(deps.mailer ?? createMailer(config, logger), masterKeys.secretbox, invalidation),
    logger,
  );
  const store =
    deps.rateLimitStore ?? (deps.redis ? redisRateLimitStore(deps.redis) : memoryRateLimitStore());
  const limits = new RequestLimits(store, config.rateLimits);
  const lockout = new LoginLockout(store, {
    maxFailures: config.rateLimits.loginMaxFailures,
    lockoutMs: config.rateLimits.loginLockoutMs,
  });
  const breached = new RangeApiBreachedChecker({
    baseUrl: config.passwords.hibpApiUrl,
    onError: (reason) =>
      logger.warn(
        { err: reason instanceof Error ? reason.message : String(reason) },
        'breached-password check skipped',
      ),
  });
  const hasher = new PasswordHasher(config.passwords.argon2, config.passwords.hashThreads);
  deps.watchHashing?.(() => hasher.stats());
  const passwordChecker = new PasswordPolicyChecker({ breached });
  // Filled with the modules' hooks once they are set up (below), before any request is served.
  const clientDeleted: ClientDeletedHook[] = [];
  const clients = new Clients(db, { invalidation, deleted: clientDeleted });
  const sessionCache = new SessionCache({
    invalidation,
    ttlMs: config.cache.sessionTtlMs,
    ttlWithRedisMs: config.cache.sessionTtlWithRedisMs,
    events: deps.events,
  });
  const sessionAccess = new SessionAccess({ db, accessTokens, sessionCache, invalidation, clients });
  const browserSessions = new BrowserSessions({
    db,
    lifetimes,
    accessTokens,
    sessionAccess,
    sessionCache,
    events,
  });
  // Modules are set up against the core; what they contribute to the core's own use cases (second
  // factors, registration hooks) is filled into these lists right after, before any request is served.
  const secondFactors: SecondFactor[] = [];
  const enrolledFactors = new EnrolledFactors(db, secondFactors);
  const passwordAuthenticator = new PasswordAuthenticator({
    db,
    hasher,
    limits,
    lockout,
    events,
    emailFingerprint: new EmailFingerprint(masterKeys.signing),
    enrolledFactors,
  });
  const refreshTokens = new RefreshTokens({
    db,
    tokens: config.tokens,
    lifetimes,
    limits,
    accessTokens,
    sessionAccess,
    events,
    logger,
  });

  const secondStepPolicy: { current?: SecondStepPolicy } = {};
  const userRegistered: UserRegisteredHook[] = [];
  const identitySources: IdentitySource[] = [];
  const userExports: { module: string; export: UserExport }[] = [];
  const emailChanged: UserRegisteredHook[] = [];
  const login = new Login({
    db,
    lifetimes,
    accessTokens,
    sessionAccess,
    browserSessions,
    secondFactors,
    enrolledFactors,
    secondStepPolicy,
    secretboxMasterKey: masterKeys.secretbox,
    challengeTtlMs: config.tokens.mfaTokenTtlMs,
    limits,
    lockout,
    spentChallenges: store.limiter({
      name: 'login-challenge:spent',
      points: 1,
      durationSeconds: Math.ceil(config.tokens.mfaTokenTtlMs / 1000),
    }),
    challengeAttempts: store.limiter({
      name: 'login-challenge:attempts',
      points: SECOND_STEP_ATTEMPTS,
      durationSeconds: Math.ceil(config.tokens.mfaTokenTtlMs / 1000),
    }),
    events,
  });
  const registration = new Registration({
    db,
    auth: config.auth,
    passwords: config.passwords,
    hasher,
    passwordChecker,
    limits,
    login,
    autoLoginAs: passwordAuthenticator,
    userRegistered,
  });
  const core: CoreServices = {
    db,
    config,
    logger,
    tenants,
    hasher,
    passwordChecker,
    limits,
    lockout,
    outbox,
    emailLinks: new EmailLinks(db, outbox),
    sessionAccess,
    browserSessions,
    registration,
    login,
    passwordAuthenticator,
    recentSignIn: new RecentSignIn(config.sessions),
    secondFactors,
    identities: new Identities(db, identitySources),
    rateLimitStore: store,
    secretboxMasterKey: masterKeys.secretbox,
    userExports,
    emailChanged,
    userRoles: null,
    clients,
    tenantAdmin: new TenantAdmin(db, tenants, masterKeys.secretbox),
  };
  const parts = modules.map((module) => ({ module, parts: module.setup(core) }));
  for (const { module, parts: p } of parts) {
    secondFactors.push(...(p.secondFactors ?? []));
    if (p.secondStepPolicy) {
      if (secondStepPolicy.current) throw new Error('Two feature modules set the second-step policy.');
      secondStepPolicy.current = p.secondStepPolicy;
    }
    if (p.hooks?.userRegistered) userRegistered.push(p.hooks.userRegistered);
    if (p.identities) identitySources.push(p.identities);
    if (p.userExport) userExports.push({ module: module.id, export: p.userExport });
    if (p.hooks?.emailChanged) emailChanged.push(p.hooks.emailChanged);
    if (p.hooks?.clientDeleted) clientDeleted.push(p.hooks.clientDeleted);
    if (p.userRoles) {
      if (core.userRoles) throw new Error('Two feature modules provide user roles.');
      core.userRoles = p.userRoles;
    }
  }
  if (parts.filter(({ parts: p }) => p.adminAuthenticator).length > 1)
    throw new Error('Two feature modules provide an admin authenticator.');
  if (parts.filter(({ parts: p }) => p.operatorAccounts).length > 1)
    throw new Error('Two feature modules provide operator accounts.');

  const tokenPolicies = parts.flatMap(({ parts: p }) => (p.accessTokenPolicy ? [p.accessTokenPolicy] : []));
  if (tokenPolicies.length > 1) throw new Error('Two feature modules set the access token policy.');
  const oauth = new OAuthService({
    db,
    config,
    clients,
    sessionAccess,
    refreshTokens,
    limits,
    accessTokens,
    idTokens: new IdTokens(keys, lifetimes),
    lifetimes,
    interactions: new InteractionSealer(masterKeys.secretbox, config.tokens.interactionTtlMs),
    codes: new AuthorizationCodes(masterKeys.secretbox, config.tokens.authCodeTtlMs),
    scopes: new ScopeRegistry([
      ...STANDARD_SCOPE_DEFINITIONS,
      ...parts.flatMap(({ parts: p }) => p.scopes ?? []),
    ]),
    discovery: parts.flatMap(({ parts: p }) => (p.discovery ? [p.discovery] : [])),
    policy: {
      loginChecks: [...CORE_LOGIN_CHECKS, ...parts.flatMap(({ parts: p }) => p.loginChecks ?? [])],
      requestChecks: parts.flatMap(({ parts: p }) => p.authorizationChecks ?? []),
    },
    ...(tokenPolicies[0] ? { tokenPolicy: tokenPolicies[0] } : {}),
    logger,
    events: deps.events,
  });
  return {
    ...core,
    keys,
    accessTokens,
    clients,
    admins: new AdminTokens(db),
    auditLog: new AuditLog(db),
    users: new UsersAdmin({ registration }),
    refreshTokens,
    oauth,
    invalidation,
    signingMasterKey: masterKeys.signing,
    modules: parts,
    authenticators: [passwordAuthenticator, ...parts.flatMap(({ parts: p }) => p.authenticators ?? [])],
  };
}

/** The one ordered migration sequence: the core's and every module's, by version. */
export function migrationSequence(modules: readonly FeatureModule[] = featureModules): readonly Migration[] {
  const all = [...coreMigrations, ...modules.flatMap((m) => m.migrations ?? [])].sort(
    (a, b) => a.version - b.version,
  );
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.version === all[i - 1]!.version)
      throw new Error(
        `two migrations claim version ${all[i]!.version}: ${all[i - 1]!.name} and ${all[i]!.name}`,
      );
  }
  return all;
}

/** Every migration this build applies. */
export const migrations = migrationSequence();

/** Every audit event type this build writes: the core's and every module's. */
export function auditEventTypes(modules: readonly FeatureModule[] = featureModules): AuditEventType[] {
  return [...Object.values(auditEvents), ...modules.flatMap((m) => m.auditEvents ?? [])];
}
