// What every command shares: configuration, a logger, the database, and one way of failing.
import type { Logger } from 'pino';
import { ConfigError, loadConfig, readEnvironment, type Config } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { StartupError } from '../db/postgres.js';
import { HelloJohnError } from '../errors.js';
import { createLogger, stdoutLogDestination } from '../log.js';

/** A failure the CLI reports as one plain line, with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface CommandContext {
  config: Config;
  logger: Logger;
}

/** One-shot commands keep stdout for their output and print log lines for people on stderr: `hellojohn: warning: ...`. */
export function commandContext(): CommandContext {
  const config = loadConfig();
  return { config, logger: createLogger(config.logLevel, plainStderr) };
}

/**
 * `serve` logs to stdout: JSON lines, or readable ones on a terminal (LOG_FORMAT).
 * `overrides` are command-line options that stand in for environment variables, e.g. `{ PORT: '3000' }`.
 */
export async function serverContext(overrides: Record<string, string> = {}): Promise<CommandContext> {
  const config = loadConfig({ ...readEnvironment(), ...overrides });
  const destination = await stdoutLogDestination(config.logFormat, process.stdout.isTTY === true);
  return { config, logger: createLogger(config.logLevel, destination) };
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};

const plainStderr = {
  write(line: string) {
    const entry = JSON.parse(line) as { level: number; msg?: string };
    process.stderr.write(`hellojohn: ${LEVEL_NAMES[entry.level] ?? 'log'}: ${entry.msg ?? ''}\n`);
  },
};

export async function withDatabase<T>(context: CommandContext, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(context.config, context.logger);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Runs a command body and turns every known failure into one line on stderr and an exit code. */
export async function run(body: () => Promise<number | void>): Promise<void> {
  let code: number;
  try {
    code = (await body()) ?? 0;
  } catch (error) {
    code = report(error);
  }
  process.exitCode = code;
}

function report(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`hellojohn: invalid configuration: ${error.message}\n`);
    return 2;
  }
  if (error instanceof CliError) {
    process.stderr.write(`hellojohn: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof StartupError || error instanceof HelloJohnError) {
    process.stderr.write(`hellojohn: ${error.message}\n`);
    return 1;
  }
  if (isDatabaseError(error)) {
    // An error PostgreSQL reported (permissions, missing objects, ...): its message says it all.
    process.stderr.write(`hellojohn: database error: ${error.message} (SQLSTATE ${error.code})\n`);
    return 1;
  }
  process.stderr.write(
    `hellojohn: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
}

function isDatabaseError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    typeof (error as { severity?: unknown }).severity === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
