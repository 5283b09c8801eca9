// Liveness and readiness. /health says the process is up; /ready says it can serve: the database
// answers and its schema is the one this binary expects.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../db/database.js';
import { migrationStatus, schemaProblem } from '../db/migrator.js';
import type { Migration } from '../db/migrations/index.js';
import { ServiceUnavailableError } from '../errors.js';
import { sendError } from './errors.js';
import { StringEnum, errors } from './schemas/common.js';

export interface HealthOptions {
  db: Database;
  migrations: readonly Migration[];
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (plugin, { db, migrations }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags,
        response: { 200: Type.Object({ status: StringEnum(['ok']) }), ...errors() },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const readySchema = {
    summary: 'Readiness: the database answers and its schema is the expected one',
    tags,
    response: {
      200: Type.Object({
        status: StringEnum(['ready']),
        database: StringEnum(['postgres', 'pglite']),
        migrations: Type.Number({ description: 'Migrations applied.' }),
      }),
      ...errors(),
    },
  };
  app.get('/ready', { schema: readySchema }, async (request, reply) => {
    let status;
    try {
      status = await migrationStatus(db, migrations);
    } catch (error) {
      request.log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'readiness: database unreachable',
      );
      return sendError(reply, new ServiceUnavailableError('The database is unreachable.'));
    }
    // A running instance stays ready when a newer release has expanded the schema (expand/contract keeps
    // old code working); only starting against it needs ALLOW_NEWER_SCHEMA.
    const problem =
      schemaProblem(status, true) ??
      (status.pending > 0 ? `${status.pending} migration(s) pending: run hellojohn migrate` : null);
    if (problem) return sendError(reply, new ServiceUnavailableError(problem));
    return { status: 'ready' as const, database: db.kind, migrations: status.entries.length };
  });
};
