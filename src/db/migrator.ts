// Applies the embedded migrations and reports their status.
//
// Each migration runs in its own transaction that first takes a transaction-scoped advisory lock, so any
// number of processes may migrate at once (directly or through PgBouncer in transaction mode): one
// applies, the others wait, re-read the ledger and find nothing left to do.
import { createHash } from 'node:crypto';
import { MigrationError } from '../errors.js';
import type { Database, Queryable } from './database.js';
import type { Migration } from './migrations/index.js';

// Arbitrary, fixed: the key every HelloJohn process locks while it migrates.
const MIGRATION_LOCK_KEY = '4804125583127117';

const LEDGER_DDL = `
CREATE TABLE hellojohn_migrations (
  version      integer PRIMARY KEY,
  name         text NOT NULL,
  checksum     text NOT NULL,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  duration_ms  integer NOT NULL,
  app_version  text NOT NULL
)`;

export type MigrationState = 'applied' | 'pending' | 'checksum_mismatch' | 'unknown';

export interface MigrationStatusEntry {
  version: number;
  name: string;
  state: MigrationState;
  /** The checksum of the SQL this binary ships (null for a migration it does not know). */
  checksum: string | null;
  /** The checksum recorded when it was applied (null when pending). */
  appliedChecksum: string | null;
  appliedAt: Date | null;
  durationMs: number | null;
  appliedBy: string | null;
}

export interface MigrationStatus {
  entries: MigrationStatusEntry[];
  pending: number;
  checksumMismatches: number;
  unknown: number;
}

export interface AppliedMigration {
  version: number;
  name: string;
  durationMs: number;
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
  duration_ms: number;
  app_version: string;
}

export function checksumOf(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

export const formatVersion = (version: number) => String(version).padStart(4, '0');

async function readLedger(db: Queryable): Promise<LedgerRow[] | null> {
  const exists = await db.query<{ present: boolean }>(
    `SELECT to_regclass('hellojohn_migrations') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return null;
  const result = await db.query<LedgerRow>(
    'SELECT version, name, checksum, applied_at, duration_ms, app_version FROM hellojohn_migrations ORDER BY version',
  );
  return result.rows;
}

function compare(migrations: readonly Migration[], ledger: LedgerRow[] | null): MigrationStatus {
  const applied = new Map((ledger ?? []).map((row) => [row.version, row]));
  const known = new Set(migrations.map((m) => m.version));
  const entries: MigrationStatusEntry[] = migrations.map((migration) => {
    const row = applied.get(migration.version);
    const checksum = checksumOf(migration);
    return {
      version: migration.version,
      name: migration.name,
      state: !row ? 'pending' : row.checksum === checksum ? 'applied' : 'checksum_mismatch',
      checksum,
      appliedChecksum: row?.checksum ?? null,
      appliedAt: row?.applied_at ?? null,
      durationMs: row?.duration_ms ?? null,
      appliedBy: row?.app_version ?? null,
    };
  });
  for (const row of ledger ?? []) {
    if (known.has(row.version)) continue;
    entries.push({
      version: row.version,
      name: row.name,
      state: 'unknown',
      checksum: null,
      appliedChecksum: row.checksum,
      appliedAt: row.applied_at,
      durationMs: row.duration_ms,
      appliedBy: row.app_version,
    });
  }
  entries.sort((a, b) => a.version - b.version);
  const count = (state: MigrationState) => entries.filter((e) => e.state === state).length;
  return {
    entries,
    pending: count('pending'),
    checksumMismatches: count('checksum_mismatch'),
    unknown: count('unknown'),
  };
}

export async function migrationStatus(
  db: Queryable,
  migrations: readonly Migration[],
): Promise<MigrationStatus> {
  return compare(migrations, await readLedger(db));
}

/**
 * The reason the binary must not run against this schema, or null when it may. Pending migrations are
 * not a reason here: `serve` applies them, and `/ready` reports them.
 */
export function schemaProblem(status: MigrationStatus, allowNewerSchema: boolean): string | null {
  const edited = status.entries.filter((e) => e.state === 'checksum_mismatch');
  if (edited.length > 0) {
    const list = edited.map((e) => `${formatVersion(e.version)}_${e.name}`).join(', ');
    return (
      `migration ${list} differs from the one applied to this database (checksum mismatch). ` +
      'Migrations must never change after release: run the HelloJohn version that applied it, or restore the database'
    );
  }
  const unknown = status.entries.filter((e) => e.state === 'unknown');
  if (unknown.length > 0 && !allowNewerSchema) {
    const list = unknown
      .map((e) => `${formatVersion(e.version)}_${e.name} (applied by ${e.appliedBy})`)
      .join(', ');
    return (
      `the database has migrations this version does not know: ${list}. It was migrated by a newer ` +
      'HelloJohn: upgrade, or set ALLOW_NEWER_SCHEMA=true on older instances during a rolling upgrade'
    );
  }
  return null;
}

export interface MigrateOptions {
  appVersion: string;
  allowNewerSchema: boolean;
  onApplied?: (applied: AppliedMigration) => void;
}

/** Applies every pending migration in order; returns what this call applied (possibly nothing). */
export async function migrate(
  db: Database,
  migrations: readonly Migration[],
  options: MigrateOptions,
): Promise<AppliedMigration[]> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const applied: AppliedMigration[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      let ledger = await readLedger(tx);
      if (!ledger) {
        // Only the first run needs CREATE: later ones work with a role that may only read and write.
        await tx.exec(LEDGER_DDL);
        ledger = [];
      }
      const status = compare(ordered, ledger);
      const problem = schemaProblem(status, options.allowNewerSchema);
      if (problem) throw new MigrationError(problem);
      const pending = ordered.find((m) =>
        status.entries.some((e) => e.version === m.version && e.state === 'pending'),
      );
      if (!pending) return null;
      const started = performance.now();
      try {
        await tx.exec(pending.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(
          `migration ${formatVersion(pending.version)}_${pending.name} failed: ${reason}`,
          {
            cause: error,
          },
        );
      }
      const durationMs = Math.round(performance.now() - started);
      await tx.query(
        'INSERT INTO hellojohn_migrations (version, name, checksum, duration_ms, app_version) VALUES ($1, $2, $3, $4, $5)',
        [pending.version, pending.name, checksumOf(pending), durationMs, options.appVersion],
      );
      return { version: pending.version, name: pending.name, durationMs };
    });
    if (!next) return applied;
    applied.push(next);
    options.onApplied?.(next);
  }
}
