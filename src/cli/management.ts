// What the management commands (clients, users, tenants, admin) share: a database whose schema is up to
// date, the named tenant, and usage errors that exit with 2.
import type { Command, CommanderError } from 'commander';
import { migrationStatus, schemaProblem } from '../db/migrator.js';
import { pino } from 'pino';
import { buildServices, migrations, type Services } from '../composition.js';
import { resolveMasterKeys } from '../crypto/master-keys.js';
import type { Redis } from 'ioredis';
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
    const redis = config.redisUrl ? await connectRedis(config.redisUrl, quiet, () => {}) : undefined;
    try {
      const services = buildServices(config, {
        db,
        logger,
        redis,
        // The server's keys (configured, or its development key file, made here as the server would make
        // it): commands seal secrets too (a new signing key, a webhook's secret), and the server must be
        // able to open them.
        masterKeys: resolveMasterKeys(config, quiet),
        // Mail a command causes (the verification link of a user it creates) goes out through the
        // configured mailer before the command exits; the server's SMTP warning is not repeated here.
        mailer: createMailer(config, quiet),
      });
      try {
        // Changes are announced to running servers' caches: wait (briefly) for Redis to take them.
        if (redis) await readyWithin(redis, 3_000);
        const result = await fn(services, context);
        await services.outbox.drain();
        if (!(await services.invalidation.flush()))
          logger.warn(
            'Redis is unreachable: running servers were not told of this change; their caches expire it within SESSION_CACHE_TTL',
          );
        return result;
      } finally {
        await services.invalidation.close();
      }
    } finally {
      redis?.disconnect();
    }
  });
}

/** Resolves when the connection is ready, or after `ms` (the command goes on; the change is sent later, or warned about). */
function readyWithin(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
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

/**
 * "error: unknown command 'x' (Did you mean …?)" for a command that has an action as well as
 * subcommands, where commander itself would only say "too many arguments". Commander's own refusal,
 * through its (untyped) method.
 */
export function refuseUnknownCommand(command: Command): never {
  (command as unknown as { unknownCommand(): never }).unknownCommand();
  throw new Error('unreachable');
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
