// What the console's Overview screen shows: a tenant's sign-ins over the last days (from the audit trail),
// its sessions in use and its users; and the installation's health (database, Redis, migrations, the age
// of the signing keys in use). Read-only; the SQL is in src/db/repositories/tenant-stats.ts.
import { auditEvents } from '../audit/events.js';
import type { Database } from '../db/database.js';
import { migrationStatus } from '../db/migrator.js';
import type { Migration } from '../db/migrations/index.js';
import {
  auditCountsByDay,
  countActiveSessions,
  countUsers,
  oldestCurrentSigningKey,
} from '../db/repositories/tenant-stats.js';
import type { Tenant } from '../tenants/tenants.js';

/** Days the overview covers, today (UTC) included. */
export const STATS_DAYS = 14;
const DAY_MS = 86_400_000;

/** A sign-in that succeeded, whatever the method (password, link, passkey, social: all write user.login). */
export const SIGN_IN_TYPES: readonly string[] = [auditEvents.userLogin];
/** A sign-in refused: wrong credentials, a blocked account, a failed second step. */
export const FAILED_SIGN_IN_TYPES: readonly string[] = [
  auditEvents.loginFailed,
  auditEvents.loginBlocked,
  auditEvents.loginSecondStepFailed,
];

export interface TenantStats {
  days: { date: string; sign_ins: number; failed_sign_ins: number }[];
  totals: { sign_ins: number; failed_sign_ins: number };
  active_sessions: number;
  users: number;
}

export async function tenantStats(db: Database, tenant: Tenant, now = new Date()): Promise<TenantStats> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (STATS_DAYS - 1) * DAY_MS);
  const [counts, activeSessions, users] = await Promise.all([
    auditCountsByDay(db, tenant.id, from, [...SIGN_IN_TYPES, ...FAILED_SIGN_IN_TYPES]),
    countActiveSessions(db, tenant.id),
    countUsers(db, tenant.id),
  ]);
  const days = Array.from({ length: STATS_DAYS }, (_, i) => ({
    date: new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    sign_ins: 0,
    failed_sign_ins: 0,
  }));
  const byDate = new Map(days.map((d) => [d.date, d]));
  for (const { day, type, count } of counts) {
    const entry = byDate.get(day);
    if (!entry) continue;
    if (SIGN_IN_TYPES.includes(type)) entry.sign_ins += count;
    else entry.failed_sign_ins += count;
  }
  const sum = (pick: (d: (typeof days)[number]) => number) => days.reduce((n, d) => n + pick(d), 0);
  return {
    days,
    totals: { sign_ins: sum((d) => d.sign_ins), failed_sign_ins: sum((d) => d.failed_sign_ins) },
    active_sessions: activeSessions,
    users,
  };
}

export interface HealthDeps {
  db: Database;
  migrations: readonly Migration[];
  /** Answers when Redis is reachable; absent without REDIS_URL. */
  pingRedis?: () => Promise<unknown>;
  /** KEY_ROTATION_INTERVAL (0: keys are rotated by hand only). */
  rotationIntervalMs: number;
}

export interface InstallationHealth {
  database: { status: 'ok' | 'unavailable'; kind: 'postgres' | 'pglite' };
  redis: { status: 'ok' | 'unavailable' | 'not_configured' };
  /** mismatch: an applied migration was edited, or is unknown to this binary; unknown: unreadable. */
  migrations: { status: 'ok' | 'pending' | 'mismatch' | 'unknown'; applied: number; pending: number };
  signing_keys: {
    status: 'ok' | 'due' | 'none';
    /** Age in days of the oldest key still signing (the tenant that rotated least recently). */
    oldest_active_age_days: number | null;
    rotation_interval_days: number | null;
  };
}

/** Each part is checked on its own: one that is down is reported, never thrown. */
export async function installationHealth(deps: HealthDeps, now = new Date()): Promise<InstallationHealth> {
  const [migrations, redis, oldestKey] = await Promise.all([
    migrationStatus(deps.db, deps.migrations).then(
      (s) => s,
      () => null,
    ),
    deps.pingRedis
      ? deps.pingRedis().then(
          () => 'ok' as const,
          () => 'unavailable' as const,
        )
      : Promise.resolve('not_configured' as const),
    oldestCurrentSigningKey(deps.db).then(
      (at) => ({ at }),
      () => null,
    ),
  ]);
  const interval = deps.rotationIntervalMs > 0 ? deps.rotationIntervalMs : null;
  const ageMs = oldestKey?.at ? now.getTime() - oldestKey.at.getTime() : null;
  return {
    database: { status: migrations ? 'ok' : 'unavailable', kind: deps.db.kind },
    redis: { status: redis },
    migrations: migrations
      ? {
          status:
            migrations.unknown > 0 || migrations.checksumMismatches > 0
              ? 'mismatch'
              : migrations.pending > 0
                ? 'pending'
                : 'ok',
          applied: migrations.entries.filter((e) => e.appliedAt !== null).length,
          pending: migrations.pending,
        }
      : { status: 'unknown', applied: 0, pending: 0 },
    signing_keys: {
      status: ageMs === null ? 'none' : interval !== null && ageMs > interval ? 'due' : 'ok',
      oldest_active_age_days: ageMs === null ? null : Math.floor(ageMs / DAY_MS),
      rotation_interval_days: interval === null ? null : Math.round((interval / DAY_MS) * 10) / 10,
    },
  };
}
