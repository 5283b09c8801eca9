import type { Queryable } from '../database.js';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_key_enc: Buffer | Uint8Array;
  status: 'active' | 'retired';
  created_at: Date;
  retired_at: Date | null;
  expires_at: Date | null;
}

const COLUMNS = 'kid, alg, public_jwk, private_key_enc, status, created_at, retired_at, expires_at';

/** Keys a verifier may still accept: the active ones and retired ones inside their grace period. */
export async function findPublishedKeys(db: Queryable, tenantId: string): Promise<SigningKeyRow[]> {
  const result = await db.query<SigningKeyRow>(
    `SELECT ${COLUMNS} FROM signing_keys
      WHERE tenant_id = $1 AND (status = 'active' OR expires_at > now())
      ORDER BY status, created_at DESC`,
    [tenantId],
  );
  return result.rows;
}

export async function findAllKeys(db: Queryable, tenantId: string): Promise<SigningKeyRow[]> {
  const result = await db.query<SigningKeyRow>(
    `SELECT ${COLUMNS} FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at DESC`,
    [tenantId],
  );
  return result.rows;
}

/** Inserts an active key unless the tenant already has one for that algorithm (a concurrent starter won). */
export async function insertActiveKey(
  db: Queryable,
  key: { tenantId: string; kid: string; alg: string; publicJwk: object; privateKeyEnc: Buffer },
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO signing_keys (tenant_id, kid, alg, public_jwk, private_key_enc, status)
     VALUES ($1, $2, $3, $4, $5, 'active')
     ON CONFLICT (tenant_id, alg) WHERE status = 'active' DO NOTHING`,
    [key.tenantId, key.kid, key.alg, JSON.stringify(key.publicJwk), key.privateKeyEnc],
  );
  return result.rowCount > 0;
}

/** Retires every active key of the tenant; they stay published until now + grace. */
export async function retireActiveKeys(db: Queryable, tenantId: string, graceMs: number): Promise<string[]> {
  const result = await db.query<{ kid: string }>(
    `UPDATE signing_keys
        SET status = 'retired', retired_at = now(), expires_at = now() + make_interval(secs => $2::double precision / 1000)
      WHERE tenant_id = $1 AND status = 'active'
      RETURNING kid`,
    [tenantId, graceMs],
  );
  return result.rows.map((r) => r.kid);
}

export async function lockTenantKeys(db: Queryable, tenantId: string): Promise<void> {
  await db.query('SELECT id FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
}

/** The newest active key's creation time (null when the tenant has none yet). */
export async function newestActiveKeyAt(db: Queryable, tenantId: string): Promise<Date | null> {
  const result = await db.query<{ at: Date | null }>(
    `SELECT max(created_at) AS at FROM signing_keys WHERE tenant_id = $1 AND status = 'active'`,
    [tenantId],
  );
  return result.rows[0]?.at ?? null;
}

/** Tenants whose active keys are all older than `ageMs`: due for a scheduled rotation. */
export async function tenantsWithKeysOlderThan(
  db: Queryable,
  ageMs: number,
  limit: number,
): Promise<string[]> {
  const result = await db.query<{ tenant_id: string }>(
    `SELECT tenant_id FROM signing_keys WHERE status = 'active'
      GROUP BY tenant_id
     HAVING max(created_at) < now() - make_interval(secs => $1::double precision / 1000)
      LIMIT $2`,
    [ageMs, limit],
  );
  return result.rows.map((r) => r.tenant_id);
}
