import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, PGlite otherwise. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const settings = config.database;
  if (settings.kind === 'postgres') return openPostgres(settings, logger);
  logger.warn(
    `DATABASE_URL is not set: using the embedded PGlite database in ${settings.dataDir}, which is for development only`,
  );
  // Loaded only when used: PGlite's WebAssembly build is large, and production never needs it.
  const { openPglite } = await import('./pglite.js');
  return openPglite(settings.dataDir);
}
