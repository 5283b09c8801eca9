// What the management commands (clients, users, tenants, admin) share: a database whose schema is up to
// date, the named tenant, and usage errors that exit with 2.
import type { Command, CommanderError } from 'commander';
import type { Database } from '../db/database.js';
import { migrationStatus, schemaProblem } from '../db/migrator.js';
import { migrations } from '../db/migrations/index.js';
import { Tenants, type Tenant } from '../tenants/tenants.js';
import { CliError, commandContext, withDatabase, type CommandContext } from './context.js';

/** Opens the database and refuses to work on a schema this binary does not match. */
export async function withManagedDatabase<T>(
  fn: (db: Database, context: CommandContext) => Promise<T>,
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
    return fn(db, context);
  });
}

export async function resolveTenant(db: Database, context: CommandContext, slug: string): Promise<Tenant> {
  const tenants = new Tenants(db, context.config.http.baseUrl);
  return tenants.resolve(slug).catch(() => {
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
