import { formatVersion, migrate, migrationStatus, type MigrationStatus } from '../db/migrator.js';
import { migrations } from '../composition.js';
import { VERSION } from '../version.js';
import { commandContext, withDatabase } from './context.js';
import { formatTable } from './table.js';

export async function migrateCommand(): Promise<number> {
  const context = commandContext();
  return withDatabase(context, async (db) => {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const applied = await migrate(db, migrations, {
      appVersion: VERSION,
      allowNewerSchema: context.config.allowNewerSchema,
      onApplied: (m) => out(`applied ${formatVersion(m.version)}_${m.name} (${m.durationMs} ms)`),
    });
    out(
      applied.length === 0
        ? `nothing to apply: ${db.description} is up to date (${migrations.length} applied)`
        : `done: ${applied.length} migration(s) applied to ${db.description}`,
    );
    return 0;
  });
}

export async function migrateStatusCommand(options: { json?: boolean }): Promise<number> {
  const context = commandContext();
  return withDatabase(context, async (db) => {
    const status = await migrationStatus(db, migrations);
    const healthy = status.pending === 0 && status.checksumMismatches === 0 && status.unknown === 0;
    process.stdout.write(
      options.json
        ? `${JSON.stringify(statusJson(status, healthy), null, 2)}\n`
        : statusTable(status, db.description),
    );
    return healthy ? 0 : 1;
  });
}

function statusJson(status: MigrationStatus, healthy: boolean) {
  return {
    ok: healthy,
    pending: status.pending,
    checksum_mismatches: status.checksumMismatches,
    unknown: status.unknown,
    migrations: status.entries.map((e) => ({
      version: e.version,
      name: e.name,
      state: e.state,
      applied_at: e.appliedAt?.toISOString() ?? null,
      checksum: e.checksum,
      applied_checksum: e.appliedChecksum,
      duration_ms: e.durationMs,
      applied_by: e.appliedBy,
    })),
  };
}

const STATE_LABEL = {
  applied: 'applied',
  pending: 'PENDING',
  checksum_mismatch: 'EDITED (checksum mismatch)',
  unknown: 'UNKNOWN (newer than this binary)',
} as const;

function statusTable(status: MigrationStatus, where: string): string {
  const rows = status.entries.map((e) => [
    formatVersion(e.version),
    e.name,
    STATE_LABEL[e.state],
    e.appliedAt ? e.appliedAt.toISOString() : '-',
    (e.checksum ?? e.appliedChecksum ?? '').slice(0, 12),
  ]);
  const header = ['VERSION', 'NAME', 'STATE', 'APPLIED AT', 'CHECKSUM'];
  const applied = status.entries.filter((e) => e.state === 'applied').length;
  const summary = [
    `${applied} applied`,
    `${status.pending} pending`,
    status.checksumMismatches ? `${status.checksumMismatches} edited` : '',
    status.unknown ? `${status.unknown} unknown` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return [`database: ${where}`, ...formatTable(header, rows), '', summary, ''].join('\n');
}
