// The management listener (MANAGEMENT_HOST:MANAGEMENT_PORT, loopback by default): /metrics, /health and
// /ready for scrapers and probes, kept off the public port. It is a separate small Fastify instance so
// nothing of the public API (CORS, cookies, tenants) is reachable through it, and scrapes do not count
// as traffic in the request metrics.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Metrics } from '../observability/metrics.js';
import { registerErrorHandling } from './errors.js';
import { healthRoutes, type HealthOptions } from './health.js';
import { metricsRoutes } from './metrics.js';
import { addSharedSchemas } from './schemas/common.js';

export async function buildManagementServer(
  config: Pick<Config, 'metrics'>,
  deps: HealthOptions & { logger: FastifyBaseLogger; metrics: Metrics },
): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  registerErrorHandling(server);
  addSharedSchemas(server);
  await server.register(healthRoutes, { db: deps.db, migrations: deps.migrations });
  if (config.metrics.enabled) {
    await server.register(metricsRoutes, { metrics: deps.metrics, token: config.metrics.token });
  }
  return server;
}
