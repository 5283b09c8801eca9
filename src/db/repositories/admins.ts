import type { Queryable } from '../database.js';

export type AdminKeyScope = 'admin' | 'read_only' | 'tenant';

export interface AdminRow {
  id: string;
  email: string;
  created_at: Date;
}

export interface AdminTokenRow {
  token_id: string;
  token_hash: Buffer;
  admin_id: string;
  email: string;
  scope: AdminKeyScope;
  tenant_id: string | null;
  last_used_at: Date | null;
}

export interface AdminTokenListRow {
  id: string;
  name: string;
  scope: AdminKeyScope;
  tenant_slug: string | null;
  hint: string | null;
  email: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** The admin with this (normalized) email, created if missing; `created` tells which. */
export async function upsertAdmin(db: Queryable, email: string): Promise<AdminRow & { created: boolean }> {
  const inserted = await db.query<AdminRow>(
    `INSERT INTO admins (email) VALUES ($1) ON CONFLICT (email) DO NOTHING RETURNING id, email, created_at`,
    [email],
  );
  if (inserted.rows[0]) return { ...inserted.rows[0], created: true };
  const existing = await db.query<AdminRow>('SELECT id, email, created_at FROM admins WHERE email = $1', [
    email,
  ]);
  return { ...existing.rows[0]!, created: false };
}

export async function findAdminByEmail(db: Queryable, email: string): Promise<AdminRow | null> {
  const result = await db.query<AdminRow>('SELECT id, email, created_at FROM admins WHERE email = $1', [
    email,
  ]);
  return result.rows[0] ?? null;
}

export async function insertAdminToken(
  db: Queryable,
  key: {
    adminId: string;
    tokenHash: Buffer;
    name: string;
    scope: AdminKeyScope;
    tenantId: string | null;
    expiresAt: Date | null;
    hint: string;
  },
): Promise<{ id: string }> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO admin_tokens (admin_id, token_hash, name, scope, tenant_id, expires_at, hint)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [key.adminId, key.tokenHash, key.name, key.scope, key.tenantId, key.expiresAt, key.hint],
  );
  return result.rows[0]!;
}

/** A live (not revoked, not expired) admin key by its hash, with its admin. */
export async function findLiveAdminToken(db: Queryable, tokenHash: Buffer): Promise<AdminTokenRow | null> {
  const result = await db.query<AdminTokenRow>(
    `SELECT t.id AS token_id, t.token_hash, t.admin_id, a.email, t.scope, t.tenant_id, t.last_used_at
       FROM admin_tokens t JOIN admins a ON a.id = t.admin_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())`,
    [tokenHash],
  );
  return result.rows[0] ?? null;
}

/** Every key not revoked (expired ones included, so a listing shows why a key stopped working). */
export async function listLiveAdminTokens(db: Queryable): Promise<AdminTokenListRow[]> {
  const result = await db.query<AdminTokenListRow>(
    `SELECT t.id, t.name, t.scope, s.slug AS tenant_slug, t.hint, a.email, t.created_at, t.expires_at,
            t.last_used_at
       FROM admin_tokens t
       JOIN admins a ON a.id = t.admin_id
       LEFT JOIN tenants s ON s.id = t.tenant_id
      WHERE t.revoked_at IS NULL
      ORDER BY t.created_at DESC, t.id`,
  );
  return result.rows;
}

export async function touchAdminToken(db: Queryable, tokenId: string): Promise<void> {
  await db.query('UPDATE admin_tokens SET last_used_at = now() WHERE id = $1', [tokenId]);
}

/** Revokes one key; false when it does not exist or was already revoked. */
export async function revokeAdminToken(db: Queryable, tokenId: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [tokenId],
  );
  return result.rowCount > 0;
}
