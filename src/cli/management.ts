// What the management commands (clients, users, tenants, admin) share: a database whose schema is up to
// date, the named tenant, and usage errors that exit with 2.
import type { Command, CommanderError } from 'commander';
import { migrationStatus, schemaProblem } from '../db/migrator.js';
import { pino } from 'pino';
import { buildServices, migrations, type Services } from '../composition.js';
import { resolveMasterKeys } from '../crypto/master-keys.js';
import { connectRedis } from '../infra/redis.js';
import { createMailer } from '../mail/mailer.js';
import type { Tenant } from '../tenants/tenants.js';
import { CliError, commandContext, withDatabase, type CommandContext } from './context.js';

/**
 * Opens the database (refusing a schema this binary does not match) and builds the services from the
 * composition root, as the server does: with Redis configured, changes are announced to running servers'
 * caches. Everything is closed when `fn` returns.
 */
export async function withServices<T>(
  fn: (services: Services, context: CommandContext) => Promise<T>,
): Promise<T> {
  const context = commandContext();
  return withDatabase(context, async (db) => {
    const status = await migrationStatus(db, migrations);
    const problem = schemaProblem(status, context.config.allowNewerSchema);
    if (problem) throw new CliError(problem);
    if (status.pending > 0) {
      throw new CliError(
        `the database schema is not up to date (${status.pending} migration(s) pending): run \`hellojohn migrate\` first`,
      );
    }
    const { config, logger } = context;
    const redis = config.redisUrl ? connectRedis(config.redisUrl, quiet, () => {}) : undefined;
    // Development keys are resolved as the server resolves them, without repeating its warning here.
    const services = buildServices(config, {
      db,
      logger,
      redis,
      masterKeys: resolveMasterKeys(config, quiet),
      // No command sends mail: the server's SMTP warning is not repeated here.
      mailer: createMailer(config, quiet),
    });
    try {
      return await fn(services, context);
    } finally {
      await services.invalidation.close();
      redis?.disconnect();
    }
  });
}

const quiet = pino({ level: 'silent' });

export async function resolveTenant(services: Services, slug: string): Promise<Tenant> {
  return services.tenants.resolve(slug).catch(() => {
    throw new CliError(`no tenant "${slug}" (see \`hellojohn tenants list\`)`);
  });
}

/** Commander reports usage errors with exit code 1; these commands use 2, as documented. */
export function usageErrorsExit2(command: Command): Command {
  return command.showHelpAfterError(false).exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 1 ? 2 : error.exitCode);
  });
}

/** `--opt a --opt b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `a,b, c` → ['a', 'b', 'c']. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
