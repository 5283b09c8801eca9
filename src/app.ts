// Wires the application: every dependency is passed in, so tests can build an app against any database.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
} from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Migration } from './db/migrations/index.js';
import { clientErrorResponse, registerErrorHandling, sendError } from './http/errors.js';
import { ServiceUnavailableError } from './errors.js';
import { healthRoutes } from './http/health.js';
import { buildManagementServer } from './http/management.js';
import { noStoreAnswers, registerSecurityHeaders } from './http/security-headers.js';
import { metricsRoutes } from './http/metrics.js';
import { openApiRoutes, registerOpenApi } from './http/openapi.js';
import { addSharedSchemas } from './http/schemas/common.js';
import { Metrics, instrumentDatabase } from './observability/metrics.js';
import { redactUrl } from './log.js';
import { auditEventTypes, buildServices, migrationSequence, type Services } from './composition.js';
import { adminRoutes } from './http/admin.js';
import { authRoutes } from './http/auth.js';
import { jwksRoutes } from './http/jwks.js';
import { Cookies } from './http/cookies.js';
import { Csrf } from './http/csrf.js';
import type { FlowDeps } from './http/authorization-flow.js';
import { routeKit } from './http/route-kit.js';
import type { FeatureModule, RouteKit } from './kernel/module.js';
import { homePageRoutes } from './http/home-page.js';
import { hostedPageRoutes } from './http/hosted-pages.js';
import { oauthRoutes } from './http/oauth.js';
import type { Mailer } from './mail/mailer.js';
import { startKeyRotationSchedule } from './keys/rotation-schedule.js';
import { startSweeper } from './maintenance/sweeper.js';
import { connectRedis } from './infra/redis.js';
import type { RateLimitStore } from './security/rate-limit.js';
import { adminTenantRoutes } from './http/admin-tenants.js';
import { adminConsoleRoutes } from './http/admin-console.js';
import { SmtpTest } from './admin/smtp-test.js';
import { corsDelegator } from './http/cors.js';
import { LazySerializers } from './http/lazy-schemas.js';

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
  /** Run the feature modules' background workers (ModuleParts.workers; default true: `serve`). */
  workers?: boolean;
  /** The feature modules to set up; defaults to the ones this build ships (tests add their own). */
  modules?: readonly FeatureModule[];
  /** Compiles response serializers at first use; a test passes its own to compile them all (compileAll). */
  serializers?: LazySerializers;
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
    ? await connectRedis(config.redisUrl, appDeps.logger, (up) => metrics.redisUp.set(up ? 1 : 0))
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
    // Response serializers are compiled at first use, not here (src/http/lazy-schemas.ts).
    schemaController: {
      compilersFactory: { buildSerializer: (appDeps.serializers ?? new LazySerializers()).factory },
    },
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
      reply.header('connection', 'close');
      sendError(reply, new ServiceUnavailableError('The server is shutting down.', 1));
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
  const openApiDocument = registerOpenApi(app, config);
  // CORS_ORIGINS, plus each tenant's own (settings.cors) on its routes: src/http/cors.ts.
  await app.register(cors, {
    delegator: corsDelegator(config.http.corsOrigins, () =>
      app.hasDecorator('services') ? app.services.tenants : undefined,
    ),
  });
  await app.register(cookie);
  const health = { db: deps.db, migrations: deps.migrations ?? migrationSequence(appDeps.modules) };
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

  const services = buildServices(config, {
    ...deps,
    events: metrics,
    watchHashing: (stats) => metrics.watchPasswordHashing(stats),
  });
  app.decorate('services', services);
  await app.register(adminRoutes, {
    admins: services.admins,
    clients: services.clients,
    tenants: services.tenants,
    keys: services.keys,
    eventTypes: auditEventTypes(services.modules.map(({ module }) => module)),
    moduleRoutes: [
      adminTenantRoutes({
        tenants: services.tenants,
        tenantAdmin: services.tenantAdmin,
        auditLog: services.auditLog,
      }),
      adminConsoleRoutes({
        tenants: services.tenants,
        smtpTest: new SmtpTest(services.rateLimitStore, services.secretboxMasterKey),
        health: {
          ...health,
          ...(redis ? { pingRedis: () => redis.ping() } : {}),
          rotationIntervalMs: config.keys.rotationIntervalMs,
        },
        signInPage: services.modules.flatMap(({ parts: p }) =>
          p.pages?.signInPage ? [p.pages.signInPage] : [],
        ),
      }),
      ...services.modules.flatMap(({ parts }) => (parts.adminRoutes ? [parts.adminRoutes] : [])),
    ],
    authenticator: services.modules.find(({ parts }) => parts.adminAuthenticator)?.parts.adminAuthenticator,
  });
  const cookies = new Cookies(config.sessions);
  const flow: FlowDeps = {
    browserSessions: services.browserSessions,
    sessionAccess: services.sessionAccess,
    oauth: services.oauth,
    cookies,
    csrf: new Csrf(services.signingMasterKey),
  };
  const kit = routeKit(services, cookies);
  const parts = services.modules.map((m) => m.parts);
  // Every tenant-scoped route exists at the root (default tenant) and under /t/{slug}.
  for (const prefix of ['', '/t/:tenant']) {
    await app.register(authRoutes, { prefix, services, kit });
    for (const { routes } of parts) if (routes) await app.register(noStore(routes), { prefix, kit });
    await app.register(jwksRoutes, { prefix, keys: services.keys, tenants: services.tenants });
    await app.register(oauthRoutes, { prefix, ...flow, tenants: services.tenants });
    await app.register(hostedPageRoutes, {
      prefix,
      ...flow,
      tenants: services.tenants,
      login: services.login,
      password: services.passwordAuthenticator,
      registration: services.registration,
      modulePages: parts.flatMap((p) => (p.pageRoutes ? [p.pageRoutes] : [])),
      signInPage: parts.flatMap((p) => (p.pages?.signInPage ? [p.pages.signInPage] : [])),
      accountSections: parts.flatMap((p) => p.pages?.accountSections ?? []),
      afterSignUp: parts.flatMap((p) => (p.pages?.afterSignUp ? [p.pages.afterSignUp] : [])),
      factors: parts
        .flatMap((p) => p.secondFactors ?? [])
        .map((f) => ({
          id: f.id,
          label: f.label,
          prompt: f.prompt,
          fallback: f.fallback === true,
          sends: f.send !== undefined,
          digits: f.codeKind !== 'text',
          enrols: f.beginEnrollment !== undefined,
          ...(f.browserScripts ? { scripts: f.browserScripts } : {}),
        })),
    });
    await app.register(homePageRoutes, {
      prefix,
      tenants: services.tenants,
      baseUrl: config.http.baseUrl.href.replace(/\/$/, ''),
    });
  }

  // Installation-wide routes of the modules (the admin console), once, at the root.
  for (const { siteRoutes } of parts) if (siteRoutes) await app.register(siteRoutes);

  await app.register(openApiRoutes, { document: openApiDocument });
  for (const { onReady } of parts) if (onReady) app.addHook('onReady', onReady);

  if (deps.sweeper !== false) {
    const sweeper = startSweeper(
      deps.db,
      config.sweeper,
      deps.logger,
      (result) => metrics.sweeperRuns.inc({ result }),
      parts.flatMap((p) => p.sweeperJobs ?? []),
    );
    app.addHook('onClose', async () => sweeper.stop());
    const rotation = startKeyRotationSchedule(
      deps.db,
      services.keys,
      { intervalMs: config.keys.rotationIntervalMs, checkEveryMs: config.sweeper.intervalMs },
      deps.logger,
    );
    app.addHook('onClose', async () => rotation.stop());
  }
  if (deps.workers !== false) {
    // Once the routes are in place; stopped on close, before the modules' own close and the database's.
    const running = parts.flatMap((p) => p.workers ?? []).map((worker) => worker.start());
    app.addHook('onClose', async () => void (await Promise.all(running.map((r) => r.stop()))));
  }
  for (const { close } of parts) if (close) app.addHook('onClose', close);
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

/** A module's JSON routes, in a scope whose answers (tokens, sessions, account data) are never cached. */
function noStore(routes: FastifyPluginAsync<{ kit: RouteKit }>): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (scope, { kit }) => {
    scope.addHook('onSend', noStoreAnswers);
    // Only the kit: the options also carry this scope's prefix, which the child would add a second time.
    await scope.register(routes, { kit });
  };
}
