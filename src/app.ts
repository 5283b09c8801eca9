// Wires the application: every dependency is passed in, so tests can build an app against any database.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { migrations as embeddedMigrations, type Migration } from './db/migrations/index.js';
import { clientErrorResponse, registerErrorHandling, sendError } from './http/errors.js';
import { healthRoutes } from './http/health.js';
import { metricsRoutes } from './http/metrics.js';
import { Metrics, instrumentDatabase } from './observability/metrics.js';
import { redactUrl } from './log.js';
import { RangeApiBreachedChecker } from './auth/breached.js';
import { PasswordPolicyChecker } from './auth/password-policy.js';
import { AuthService } from './auth/service.js';
import { resolveMasterKeys } from './crypto/master-keys.js';
import { PasswordHasher } from './crypto/passwords.js';
import { authRoutes } from './http/auth.js';
import { jwksRoutes } from './http/jwks.js';
import { pageRoutes } from './http/pages.js';
import { KeyStore } from './keys/key-store.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { MailOutbox } from './mail/outbox.js';
import { startSweeper } from './maintenance/sweeper.js';
import { connectRedis } from './infra/redis.js';
import {
  LoginLockout,
  RequestLimits,
  memoryRateLimitStore,
  redisRateLimitStore,
  type RateLimitStore,
} from './security/rate-limit.js';
import type { Redis } from 'ioredis';
import { Tenants } from './tenants/tenants.js';
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
}

export function buildServices(
  config: Config,
  deps: AppDeps & { metrics?: Metrics; redis?: Redis },
): Services {
  const { db, logger } = deps;
  const masterKeys = resolveMasterKeys(config, logger);
  const tenants = new Tenants(db, config.http.baseUrl);
  const keys = new KeyStore(db, masterKeys.secretbox, config.keys.rotationGraceMs);
  const accessTokens = new AccessTokens(keys, config.tokens.accessTtlMs);
  const outbox = new MailOutbox(deps.mailer ?? createMailer(config, logger), logger);
  const store =
    deps.rateLimitStore ?? (deps.redis ? redisRateLimitStore(deps.redis) : memoryRateLimitStore());
  const breached = new RangeApiBreachedChecker({
    baseUrl: config.passwords.hibpApiUrl,
    onError: (reason) =>
      logger.warn(
        { err: reason instanceof Error ? reason.message : String(reason) },
        'breached-password check skipped',
      ),
  });
  const auth = new AuthService({
    db,
    config,
    hasher: new PasswordHasher(config.passwords.argon2),
    passwordChecker: new PasswordPolicyChecker({ breached }),
    accessTokens,
    outbox,
    limits: new RequestLimits(store, config.rateLimits),
    lockout: new LoginLockout(store, {
      maxFailures: config.rateLimits.loginMaxFailures,
      lockoutMs: config.rateLimits.loginLockoutMs,
    }),
    logger,
    events: deps.metrics,
  });
  return { tenants, keys, accessTokens, auth, outbox };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(config: Config, appDeps: AppDeps): Promise<FastifyInstance> {
  const metrics = new Metrics(() => appDeps.db.poolStats());
  const redis = config.redisUrl
    ? connectRedis(config.redisUrl, appDeps.logger, (up) => metrics.redisUp.set(up ? 1 : 0))
    : undefined;
  const deps = { ...appDeps, db: instrumentDatabase(appDeps.db, metrics.dbQueryDuration), metrics, redis };
  // Typed as Fastify's logger so the instance keeps the default FastifyInstance type.
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
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
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    request.log.debug({ method: request.method, url: redactUrl(request.url) }, 'request received');
    if (closing) {
      return sendError(reply, 503, 'service_unavailable', 'The server is shutting down.', {
        'retry-after': '1',
        connection: 'close',
      });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode === 429) metrics.rateLimited(route);
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  registerErrorHandling(app);
  await app.register(helmet, {
    global: true,
    frameguard: { action: 'deny' },
    contentSecurityPolicy: { directives: { 'frame-ancestors': ["'none'"] } },
  });
  if (config.http.corsOrigins.length > 0) {
    await app.register(cors, { origin: config.http.corsOrigins, credentials: true });
  }
  await app.register(cookie);
  if (config.metrics.enabled) await app.register(metricsRoutes, { metrics, token: config.metrics.token });
  await app.register(healthRoutes, {
    db: deps.db,
    migrations: deps.migrations ?? embeddedMigrations,
  });

  const services = buildServices(config, deps);
  app.decorate('services', services);
  // Every tenant-scoped route exists at the root (default tenant) and under /t/{slug}.
  for (const prefix of ['', '/t/:tenant']) {
    await app.register(authRoutes, { prefix, auth: services.auth, tenants: services.tenants, config });
    await app.register(jwksRoutes, { prefix, keys: services.keys, tenants: services.tenants });
    await app.register(pageRoutes, { prefix, auth: services.auth, tenants: services.tenants });
  }

  if (deps.sweeper !== false) {
    const sweeper = startSweeper(deps.db, config.sweeper, deps.logger, (result) =>
      metrics.sweeperRuns.inc({ result }),
    );
    app.addHook('onClose', async () => sweeper.stop());
  }
  app.addHook('onClose', async () => services.outbox.drain());
  if (redis) app.addHook('onClose', async () => void redis.disconnect());
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}
