import type { Queryable } from '../database.js';

/**
 * Remembers the jti of an accepted client assertion until `expiresAt`, in one statement. True when this
 * is its first use (or the row left by an earlier assertion with the same jti has expired); false when a
 * live assertion with this jti was already accepted, on any instance.
 */
export async function rememberAssertionJti(
  db: Queryable,
  entry: { tenantId: string; clientId: string; jti: string; expiresAt: Date },
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO client_assertion_jtis AS j (tenant_id, client_id, jti, expires_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
       WHERE j.expires_at <= now()
     RETURNING 1`,
    [entry.tenantId, entry.clientId, entry.jti, entry.expiresAt],
  );
  return result.rowCount === 1;
}
