import type { Queryable } from '../database.js';

// Expired rows are deleted a batch at a time (short statements, short locks). A row is kept for a day
// past its expiry so a late reuse of a rotated refresh token is still recognised as reuse.
const RETENTION = "interval '1 day'";

export const SWEEP_TARGETS = {
  refresh_tokens: `DELETE FROM refresh_tokens WHERE id IN (
      SELECT id FROM refresh_tokens WHERE expires_at < now() - ${RETENTION} LIMIT $1)`,
  email_tokens: `DELETE FROM email_tokens WHERE id IN (
      SELECT id FROM email_tokens WHERE expires_at < now() - ${RETENTION} LIMIT $1)`,
  authorization_codes: `DELETE FROM authorization_codes WHERE code_hash IN (
      SELECT code_hash FROM authorization_codes WHERE expires_at < now() - ${RETENTION} LIMIT $1)`,
  sessions: `DELETE FROM sessions WHERE id IN (
      SELECT id FROM sessions WHERE expires_at < now() - ${RETENTION} OR idle_expires_at < now() - ${RETENTION}
        OR revoked_at < now() - ${RETENTION} LIMIT $1)`,
  // An expired assertion is refused on its own: its jti is not needed a moment longer.
  client_assertion_jtis: `DELETE FROM client_assertion_jtis WHERE (tenant_id, client_id, jti) IN (
      SELECT tenant_id, client_id, jti FROM client_assertion_jtis WHERE expires_at < now() LIMIT $1)`,
} as const;

/**
 * Deletes up to `limit` audit events older than `retentionMs`, oldest first. The created_at index of
 * migration 0008 makes both the search and the "nothing to delete" answer an index probe.
 */
// A tenant's own retention (settings.audit.retention_days) overrides the installation's: the
// installation-wide pass skips those tenants, and each of them gets its own pass (by its index).
const OWN_RETENTION = `SELECT id FROM tenants WHERE jsonb_typeof(settings->'audit'->'retention_days') = 'number'`;

export async function deleteOldAuditEventsBatch(
  db: Queryable,
  retentionMs: number,
  limit: number,
): Promise<number> {
  const result = await db.query(
    `DELETE FROM audit_events WHERE id IN (
       SELECT id FROM audit_events WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
          AND tenant_id NOT IN (${OWN_RETENTION})
        ORDER BY created_at LIMIT $2)`,
    [retentionMs, limit],
  );
  return result.rowCount;
}

/** The tenants with a retention of their own, in days (0: keep for ever). */
export async function tenantsWithOwnAuditRetention(db: Queryable): Promise<{ id: string; days: number }[]> {
  const result = await db.query<{ id: string; days: string | number }>(
    `SELECT id, (settings->'audit'->>'retention_days')::numeric AS days FROM tenants
      WHERE id IN (${OWN_RETENTION})`,
  );
  return result.rows.map((r) => ({ id: r.id, days: Number(r.days) }));
}

export async function deleteOldTenantAuditEventsBatch(
  db: Queryable,
  tenantId: string,
  retentionDays: number,
  limit: number,
): Promise<number> {
  const result = await db.query(
    `DELETE FROM audit_events WHERE id IN (
       SELECT id FROM audit_events WHERE tenant_id = $1
          AND created_at < now() - make_interval(days => $2::int)
        ORDER BY created_at LIMIT $3)`,
    [tenantId, retentionDays, limit],
  );
  return result.rowCount;
}

export async function deleteExpiredBatch(
  db: Queryable,
  target: keyof typeof SWEEP_TARGETS,
  limit: number,
): Promise<number> {
  return (await db.query(SWEEP_TARGETS[target], [limit])).rowCount;
}
