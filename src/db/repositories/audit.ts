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
