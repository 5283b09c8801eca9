// `hellojohn serve`: open the database, migrate (unless told not to), refuse a schema we cannot run on,
// listen, and shut down gracefully on SIGTERM/SIGINT.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { SecretboxError } from '../crypto/secretbox.js';
import { openDatabase } from '../db/open.js';
import { migrate, migrationStatus, schemaProblem } from '../db/migrator.js';
import { migrations } from '../composition.js';
import { MigrationError } from '../errors.js';
import { VERSION } from '../version.js';
import { CliError, serverContext } from './context.js';

export async function serveCommand(options: { port?: string } = {}): Promise<number | void> {
  const started = performance.now();
  // --port stands in for PORT, so it is validated like it.
  const { config, logger } = await serverContext(options.port === undefined ? {} : { PORT: options.port });
  const db = await openDatabase(config, logger);
  try {
    if (config.migrateOnStart) {
      await migrate(db, migrations, {
        appVersion: VERSION,
        allowNewerSchema: config.allowNewerSchema,
        onApplied: (m) =>
          logger.info({ version: m.version, name: m.name, ms: m.durationMs }, 'migration applied'),
      });
    }
    const problem = schemaProblem(await migrationStatus(db, migrations), config.allowNewerSchema);
    if (problem) throw new MigrationError(problem);
  } catch (error) {
    await db.close();
    throw error instanceof MigrationError ? new CliError(`refusing to start: ${error.message}`) : error;
  }

  const app = await buildApp(config, { db, logger });
  try {
    const defaultTenant = await app.services.tenants.resolve(undefined);
    await app.services.keys.checkMasterKey(defaultTenant.id);
  } catch (error) {
    await app.close();
    await db.close();
    if (!(error instanceof SecretboxError)) throw error;
    throw new CliError(
      'refusing to start: SECRETBOX_MASTER_KEY cannot open the signing keys stored in the database ' +
        '(it is not the key they were sealed with; restore the right master key)',
    );
  }
  const listeners = [
    { server: app, name: '', host: config.http.host, port: config.http.port },
    { server: app.management, name: 'management ', ...config.management },
  ];
  for (const { server, name, host, port } of listeners) {
    try {
      await server.listen({ host, port });
    } catch (error) {
      await app.close();
      await db.close();
      throw new CliError(`cannot listen on ${name}${host}:${port}: ${(error as Error).message}`);
    }
  }
  const port = boundPort(app, config.http.port);
  const managementPort = boundPort(app.management, config.management.port);
  // Reachable beyond this machine and no token: anyone who can reach the port reads the metrics. Allowed
  // (a private network, a sidecar), but said once, so it is a choice and not an accident; before the
  // "listening" line, which tells scripts (and tests) the server is up.
  if (config.metrics.enabled && !config.metrics.token && !isLoopback(config.management.host)) {
    logger.warn(
      `/metrics on ${config.management.host}:${managementPort} has no METRICS_TOKEN: anyone who can reach ` +
        'that address can read it; set METRICS_TOKEN or bind MANAGEMENT_HOST to a private interface',
    );
  }

  logger.info(
    {
      version: VERSION,
      port,
      management_port: managementPort,
      database: db.kind,
      startup_ms: Math.round(performance.now() - started),
    },
    `hellojohn listening on ${config.http.host}:${port} (management: ${config.management.host}:${managementPort})`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting with requests still in flight');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    void (async () => {
      await app.close();
      await db.close();
      logger.info('shutdown complete');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** The port the server really listens on (PORT=0 picks a free one). */
function boundPort(server: FastifyInstance, configured: number): number {
  const address = server.server.address();
  return typeof address === 'object' && address ? address.port : configured;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
