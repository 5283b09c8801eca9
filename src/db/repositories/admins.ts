import type { Queryable } from '../database.js';

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

export async function insertAdminToken(
  db: Queryable,
  adminId: string,
  tokenHash: Buffer,
  name: string,
): Promise<{ id: string }> {
  const result = await db.query<{ id: string }>(
    'INSERT INTO admin_tokens (admin_id, token_hash, name) VALUES ($1, $2, $3) RETURNING id',
    [adminId, tokenHash, name],
  );
  return result.rows[0]!;
}

/** A live (not revoked) admin token by its hash, with its admin. */
export async function findLiveAdminToken(db: Queryable, tokenHash: Buffer): Promise<AdminTokenRow | null> {
  const result = await db.query<AdminTokenRow>(
    `SELECT t.id AS token_id, t.token_hash, t.admin_id, a.email, t.last_used_at
       FROM admin_tokens t JOIN admins a ON a.id = t.admin_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
    [tokenHash],
  );
  return result.rows[0] ?? null;
}

export async function touchAdminToken(db: Queryable, tokenId: string): Promise<void> {
  await db.query('UPDATE admin_tokens SET last_used_at = now() WHERE id = $1', [tokenId]);
}

/** Revokes one token; false when it does not exist or was already revoked. */
export async function revokeAdminToken(db: Queryable, tokenId: string): Promise<boolean> {
  const result = await db.query(
    'UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [tokenId],
  );
  return result.rowCount > 0;
}
