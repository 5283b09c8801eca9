// `hellojohn db check`: database health against the monitoring thresholds, as a table or JSON.
// Exit 0 all ok (an unavailable metric is not a problem), 1 any warning, 2 any critical, and 2 when the
// database cannot be reached at all: an unreachable database is the most critical finding there is.
import type { PoolStats } from '../db/database.js';
import { exitCodeFor, runHealthChecks, type CheckResult, type HealthReport } from '../db/health-check.js';
import { StartupError } from '../db/postgres.js';
import { ServiceUnavailableError } from '../errors.js';
import { CliError, commandContext, withDatabase } from './context.js';
import { formatTable } from './table.js';

export async function dbCheckCommand(options: { json?: boolean; pool?: boolean }): Promise<number> {
  const context = commandContext();
  try {
    return await withDatabase(context, async (db) => {
      const report = await runHealthChecks(db);
      const pool = options.pool ? db.poolStats() : undefined;
      process.stdout.write(
        options.json
          ? `${JSON.stringify(reportJson(report, pool), null, 2)}\n`
          : reportTable(report, db.description, pool),
      );
      return exitCodeFor(report.status);
    });
  } catch (error) {
    if (error instanceof StartupError || error instanceof ServiceUnavailableError) {
      const reason = error instanceof ServiceUnavailableError ? describeCause(error) : error.message;
      throw new CliError(`${reason} (database unreachable: reported as critical, exit 2)`, 2);
    }
    throw error;
  }
}

function describeCause(error: ServiceUnavailableError): string {
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return `lost the connection to the database during the check${cause ? `: ${cause}` : ''}`;
}

function reportJson(report: HealthReport, pool: PoolStats | undefined) {
  return {
    status: report.status,
    checks: report.checks.map((c) => ({
      name: c.name,
      value: c.value,
      unit: c.unit,
      display: c.display,
      warning: c.warning,
      critical: c.critical,
      direction: c.direction,
      status: c.status,
      detail: c.detail,
    })),
    ...(pool ? { pool } : {}),
  };
}

function threshold(check: CheckResult, level: 'warning' | 'critical'): string {
  const value = check[level];
  const sign = check.direction === 'above' ? '>' : '<';
  if (check.unit === 'ms' && value >= 1_000) return `${sign} ${value / 1_000} s`;
  if (check.unit === 's' && value >= 60) return `${sign} ${value / 60} min`;
  if (check.unit === 'tuples') return `${sign} ${value.toLocaleString('en-US')}`;
  return `${sign} ${value}${check.unit === '%' ? '%' : ` ${check.unit}`}`;
}

function reportTable(report: HealthReport, where: string, pool: PoolStats | undefined): string {
  const header = ['CHECK', 'VALUE', 'WARNING', 'CRITICAL', 'STATUS'];
  const rows = report.checks.map((c) => [
    c.label,
    c.display,
    threshold(c, 'warning'),
    threshold(c, 'critical'),
    c.status === 'ok' || c.status === 'unavailable' ? c.status : c.status.toUpperCase(),
  ]);
  const count = (status: string) => report.checks.filter((c) => c.status === status).length;
  const summary =
    `status: ${report.status} (${count('ok')} ok, ${count('warning')} warning, ${count('critical')} critical, ` +
    `${count('unavailable')} unavailable; exit ${exitCodeFor(report.status)})`;
  const details = report.checks.map((c) => `  ${c.label}: ${c.detail}`);
  const poolLines = pool
    ? [
        '',
        `pool (this process): ${pool.total} open, ${pool.idle} idle, ${pool.waiting} waiting, max ${pool.max}`,
      ]
    : [];
  return [
    `database: ${where}`,
    ...formatTable(header, rows),
    '',
    ...details,
    ...poolLines,
    '',
    summary,
    '',
  ].join('\n');
}
