// The numbers of a tenant's overview (the console's Overview screen): sign-ins and failed sign-ins per day
// from the audit trail, sessions in use, users. Each count is a range or equality on an index's leading
// columns (checked with EXPLAIN in test/admin/tenant-stats.test.ts):
//   audit_events_by_tenant_time (tenant_id, created_at DESC), sessions_active_by_user (tenant_id, user_id)
//   WHERE revoked_at IS NULL, and users' UNIQUE (tenant_id, id).
import type { Queryable } from '../database.js';

export interface AuditDayCount {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  type: string;
  count: number;
}

export const AUDIT_COUNTS_BY_DAY_SQL = `SELECT to_char(date_trunc('day', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
       type, count(*)::int AS count
  FROM audit_events
 WHERE tenant_id = $1 AND created_at >= $2 AND type = ANY($3::text[])
 GROUP BY 1, 2`;

/** Events of `types` per UTC day since `from`. */
export async function auditCountsByDay(
  db: Queryable,
  tenantId: string,
  from: Date,
  types: readonly string[],
): Promise<AuditDayCount[]> {
  const { rows } = await db.query<AuditDayCount>(AUDIT_COUNTS_BY_DAY_SQL, [tenantId, from, types]);
  return rows;
}

// A sign-in's own session: OAuth sessions hang off the browser session they were issued in (parent_id),
// and counting them too would count one person signed in to three apps three times.
export const ACTIVE_SESSIONS_SQL = `SELECT count(*)::int AS count FROM sessions
 WHERE tenant_id = $1 AND revoked_at IS NULL AND parent_id IS NULL
   AND expires_at > now() AND idle_expires_at > now()`;

export async function countActiveSessions(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(ACTIVE_SESSIONS_SQL, [tenantId]);
  return rows[0]?.count ?? 0;
}

export const USERS_SQL = `SELECT count(*)::int AS count FROM users WHERE tenant_id = $1`;

export async function countUsers(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>(USERS_SQL, [tenantId]);
  return rows[0]?.count ?? 0;
}

/** When the newest active signing key of each tenant was made, oldest first: the age of keys in use. */
export async function oldestCurrentSigningKey(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(
    `SELECT min(newest) AS at FROM (
       SELECT max(created_at) AS newest FROM signing_keys WHERE status = 'active' GROUP BY tenant_id
     ) AS current_keys`,
  );
  const at = rows[0]?.at;
  return at ? new Date(at) : null;
}
