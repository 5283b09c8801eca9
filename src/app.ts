// Wires the application: every dependency is passed in, so tests can build an app against any database.
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { migrations as embeddedMigrations, type Migration } from './db/migrations/index.js';
import { registerErrorHandling, sendError } from './http/errors.js';
import { healthRoutes } from './http/health.js';
import { redactUrl } from './log.js';

export interface AppDeps {
  db: Database;
  logger: Logger;
  migrations?: readonly Migration[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance keeps the default FastifyInstance type.
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
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
  await app.register(healthRoutes, {
    db: deps.db,
    migrations: deps.migrations ?? embeddedMigrations,
  });
  return app;
}
