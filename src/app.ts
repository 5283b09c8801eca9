// Wires the application: every dependency is passed in, so tests can build an app against any database.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { migrations as embeddedMigrations, type Migration } from './db/migrations/index.js';
import { clientErrorResponse, registerErrorHandling, sendError } from './http/errors.js';
import { healthRoutes } from './http/health.js';
import { buildManagementServer } from './http/management.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { metricsRoutes } from './http/metrics.js';
import { openApiRoutes, registerOpenApi } from './http/openapi.js';
import { addSharedSchemas } from './http/schemas/common.js';
import { Metrics, instrumentDatabase } from './observability/metrics.js';
import { redactUrl } from './log.js';
import { RangeApiBreachedChecker } from './auth/breached.js';
import { PasswordPolicyChecker } from './auth/password-policy.js';
import { EmailFingerprint } from './auth/audit-fingerprint.js';
import { AuthService } from './auth/service.js';
import { AdminTokens } from './admin/admins.js';
import { Clients } from './clients/clients.js';
import { resolveMasterKeys } from './crypto/master-keys.js';
import { PasswordHasher } from './crypto/passwords.js';
import { adminRoutes } from './http/admin.js';
import { authRoutes } from './http/auth.js';
import { jwksRoutes } from './http/jwks.js';
import { Cookies } from './http/cookies.js';
import { Csrf } from './http/csrf.js';
import { homePageRoutes } from './http/home-page.js';
import { hostedPageRoutes } from './http/hosted-pages.js';
import { oauthRoutes } from './http/oauth.js';
import { IdTokens } from './oauth/id-tokens.js';
import { InteractionSealer } from './oauth/interaction.js';
import { OAuthService } from './oauth/service.js';
import { KeyStore } from './keys/key-store.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { MailOutbox } from './mail/outbox.js';
import { startSweeper } from './maintenance/sweeper.js';
import { connectRedis } from './infra/redis.js';
import { InvalidationBus, type Invalidation } from './cache/invalidation.js';
import { SessionCache } from './cache/session-cache.js';
import {
  LoginLockout,
  memoryRateLimitStore,
  redisRateLimitStore,
  type RateLimitStore,
} from './security/rate-limit.js';
import { RequestLimits } from './security/request-limits.js';
import type { Redis } from 'ioredis';
import { Tenants } from './tenants/tenants.js';
import { UsersAdmin } from './users/service.js';
import { AccessTokens } from './tokens/access-tokens.js';

export interface AppDeps {
  db: Database;
  logger: Logger;
  migrations?: readonly Migration[];
  /** Defaults to the one the configuration describes (SMTP, or the log in development). */
  mailer?: Mailer;
  /** Defaults to in-memory counters. */
  rateLimitStore?: RateLimitStore;
  /** Run the periodic sweeper of expired rows (default true). */
  sweeper?: boolean;
}

/** The services behind the routes, built once per app from the configuration. */
export interface Services {
  tenants: Tenants;
  keys: KeyStore;
  accessTokens: AccessTokens;
  auth: AuthService;
  outbox: MailOutbox;
  clients: Clients;
  admins: AdminTokens;
  users: UsersAdmin;
  /** Announces changes to every instance's caches; `on(kind, …)` to drop your own cached data. */
  invalidation: Invalidation;
  oauth: OAuthService;
  csrf: Csrf;
}

export function buildServices(
  config: Config,
  deps: AppDeps & { metrics?: Metrics; redis?: Redis },
): Services {
  const { db, logger } = deps;
  const masterKeys = resolveMasterKeys(config, logger);
  const invalidation = new InvalidationBus({ redis: deps.redis, logger, events: deps.metrics });
  const tenants = new Tenants(db, config.http.baseUrl, invalidation);
  const keys = new KeyStore(db, masterKeys.secretbox, config.keys.rotationGraceMs, invalidation);
  const accessTokens = new AccessTokens(keys, config.tokens.accessTtlMs);
  const outbox = new MailOutbox(deps.mailer ?? createMailer(config, logger), logger);
  const store =
    deps.rateLimitStore ?? (deps.redis ? redisRateLimitStore(deps.redis) : memoryRateLimitStore());
  const limits = new RequestLimits(store, config.rateLimits);
  const breached = new RangeApiBreachedChecker({
    baseUrl: config.passwords.hibpApiUrl,
    onError: (reason) =>
      logger.warn(
        { err: reason instanceof Error ? reason.message : String(reason) },
        'breached-password check skipped',
      ),
  });
  const hasher = new PasswordHasher(config.passwords.argon2, config.passwords.hashThreads);
  deps.metrics?.watchPasswordHashing(() => hasher.stats());
  const passwordChecker = new PasswordPolicyChecker({ breached });
  const clients = new Clients(db, { invalidation });
  const auth = new AuthService({
    db,
    config,
    hasher,
    passwordChecker,
    accessTokens,
    outbox,
    limits,
    lockout: new LoginLockout(store, {
      maxFailures: config.rateLimits.loginMaxFailures,
      lockoutMs: config.rateLimits.loginLockoutMs,
    }),
    logger,
    events: deps.metrics,
    sessionCache: new SessionCache({
      invalidation,
      ttlMs: config.cache.sessionTtlMs,
      ttlWithRedisMs: config.cache.sessionTtlWithRedisMs,
      events: deps.metrics,
    }),
    invalidation,
    clients,
    emailFingerprint: new EmailFingerprint(masterKeys.signing),
  });
  const admins = new AdminTokens(db);
  const users = new UsersAdmin({ db, config, hasher, passwordChecker });
  const oauth = new OAuthService({
    db,
    config,
    clients,
    auth,
    limits,
    accessTokens,
    idTokens: new IdTokens(keys, config.tokens.idTokenTtlMs),
    interactions: new InteractionSealer(masterKeys.secretbox, config.tokens.interactionTtlMs),
    logger,
    events: deps.metrics,
  });
  const csrf = new Csrf(masterKeys.signing);
  return { tenants, keys, accessTokens, auth, outbox, clients, admins, users, invalidation, oauth, csrf };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Trusts the `hops` addresses nearest to the server (hop 0 is the socket's peer), as TRUST_PROXY=N says. */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

export async function buildApp(config: Config, appDeps: AppDeps): Promise<FastifyInstance> {
  const metrics = new Metrics(() => appDeps.db.poolStats());
  const redis = config.redisUrl
    ? connectRedis(config.redisUrl, appDeps.logger, (up) => metrics.redisUp.set(up ? 1 : 0))
    : undefined;
  const deps = {
    ...appDeps,
    db: instrumentDatabase(appDeps.db, metrics.dbQueryDuration, metrics.dbTransactions),
    metrics,
    redis,
  };
  // Typed as Fastify's logger so the instance keeps the default FastifyInstance type.
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    // A number is a count of proxies in front: addresses are trusted from the socket outwards, that many
    // hops. Fastify ignores a bare number (it trusts nothing), so the count is passed as a function.
    // A string is a list of proxy addresses and CIDR ranges; false believes no X-Forwarded-* header.
    trustProxy:
      typeof config.http.trustProxy === 'number' ? trustHops(config.http.trustProxy) : config.http.trustProxy,
    // Never coerce types: `"password": 123` is a 400. Unknown properties are dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true } },
    // Honour a caller's X-Request-Id only when it is safe to echo and log.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // One access-log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return;
      socket.end(clientErrorResponse(error));
    },
  });

  // Requests that arrive once shutdown has begun get the documented 503; those already in flight finish.
  let closing = false;
  // The level is fixed at startup: check it once instead of building log objects nobody writes.
  const logDebug = appDeps.logger.isLevelEnabled('debug');
  const logRequests = appDeps.logger.isLevelEnabled('info');
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback-style hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (logDebug)
      request.log.debug({ method: request.method, url: redactUrl(request.url) }, 'request received');
    if (closing) {
      sendError(reply, 503, 'service_unavailable', 'The server is shutting down.', {
        'retry-after': '1',
        connection: 'close',
      });
      return;
    }
    done();
  });
  // Answers to requests still in flight once shutdown has begun close their connection: an idle keep-alive
  // connection would otherwise hold the server open until SHUTDOWN_TIMEOUT (and exit 1).
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.statusCode === 429) metrics.rateLimited(route);
    if (logRequests) {
      request.log.info(
        {
          method: request.method,
          url: redactUrl(request.url),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        'request',
      );
    }
    done();
  });

  registerErrorHandling(app);
  registerSecurityHeaders(app, config.http.baseUrl.protocol === 'https:');
  addSharedSchemas(app);
  // Before any route: the document is collected from the routes as they are added.
  await registerOpenApi(app, config);
  if (config.http.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.http.corsOrigins, credentials: true });
  }
  await app.register(cookie);
  const health = { db: deps.db, migrations: deps.migrations ?? embeddedMigrations };
  // Probes reach the pod's address, so /health and /ready stay on the main port; /metrics only on request
  // (METRICS_ON_MAIN_PORT, which config allows only with METRICS_TOKEN).
  await app.register(healthRoutes, health);
  if (config.metrics.enabled && config.metrics.onMainPort) {
    await app.register(metricsRoutes, { metrics, token: config.metrics.token });
  }
  // Not listening yet: whoever starts the app listens on it too (serve), and closing the app closes it.
  const management = await buildManagementServer(config, { ...health, logger, metrics });
  app.decorate('management', management);
  app.addHook('preClose', async () => management.close());

  const services = buildServices(config, deps);
  app.decorate('services', services);
  await app.register(adminRoutes, {
    admins: services.admins,
    clients: services.clients,
    tenants: services.tenants,
  });
  // Every tenant-scoped route exists at the root (default tenant) and under /t/{slug}.
  for (const prefix of ['', '/t/:tenant']) {
    await app.register(authRoutes, {
      prefix,
      auth: services.auth,
      tenants: services.tenants,
      clients: services.clients,
      config,
    });
    await app.register(jwksRoutes, { prefix, keys: services.keys, tenants: services.tenants });
    const flow = {
      auth: services.auth,
      oauth: services.oauth,
      cookies: new Cookies(config.sessions),
      csrf: services.csrf,
      tenants: services.tenants,
    };
    await app.register(oauthRoutes, { prefix, ...flow });
    await app.register(hostedPageRoutes, {
      prefix,
      ...flow,
      sessionTtlSeconds: Math.floor(config.sessions.ttlMs / 1000),
    });
    await app.register(homePageRoutes, {
      prefix,
      tenants: services.tenants,
      baseUrl: config.http.baseUrl.href.replace(/\/$/, ''),
    });
  }

  await app.register(openApiRoutes);

  if (deps.sweeper !== false) {
    const sweeper = startSweeper(deps.db, config.sweeper, deps.logger, (result) =>
      metrics.sweeperRuns.inc({ result }),
    );
    app.addHook('onClose', async () => sweeper.stop());
  }
  app.addHook('onClose', async () => services.outbox.drain());
  app.addHook('onClose', async () => services.invalidation.close());
  if (redis) app.addHook('onClose', async () => void redis.disconnect());
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    /** The management listener's server (/metrics, /health, /ready); see src/http/management.ts. */
    management: FastifyInstance;
  }
}
