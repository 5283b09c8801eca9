import type { Queryable } from '../database.js';

declare const registered: unique symbol;
/** An event type from a registry (src/audit/events.ts, or a feature module's own), never a bare string. */
export type AuditEventType = string & { readonly [registered]: true };

export interface AuditEvent {
  tenantId: string;
  type: AuditEventType;
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: Record<string, unknown>;
}

export async function insertAuditEvent(db: Queryable, event: AuditEvent): Promise<void> {
  await db.query(
    `INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      event.tenantId,
      event.type,
      event.userId ?? null,
      event.ip ?? null,
      event.userAgent?.slice(0, 512) ?? null,
      JSON.stringify(event.data ?? {}),
    ],
  );
}

export interface AuditEventRow {
  id: string;
  type: string;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

export interface AuditFilter {
  /** An exact type, or a prefix when `typePrefix`. */
  type?: string;
  typePrefix?: boolean;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Events with an id below this one (keyset pagination, newest first). */
  beforeId?: string;
}

/** A tenant's events, newest first (id descending), at most `limit`. */
export async function listAuditEvents(
  db: Queryable,
  tenantId: string,
  filter: AuditFilter,
  limit: number,
): Promise<AuditEventRow[]> {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [tenantId];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.type !== undefined) {
    if (filter.typePrefix) add(`starts_with(type, ?::text)`, filter.type);
    else add('type = ?', filter.type);
  }
  if (filter.userId !== undefined) add('user_id = ?::uuid', filter.userId);
  if (filter.from !== undefined) add('created_at >= ?::timestamptz', filter.from.toISOString());
  if (filter.to !== undefined) add('created_at < ?::timestamptz', filter.to.toISOString());
  if (filter.beforeId !== undefined) add('audit_events.id < ?::bigint', filter.beforeId);
  params.push(limit);
  // (audit_events.id: the output column `id` is its text, which would sort "9" after "30".)
  const result = await db.query<AuditEventRow>(
    `SELECT id::text AS id, type, user_id, ip, user_agent, data, created_at FROM audit_events
      WHERE ${where.join(' AND ')} ORDER BY audit_events.id DESC LIMIT $${params.length}`,
    params,
  );
  return result.rows;
}
