// The invitations' SQL. `status` as shown adds `expired` (a pending row past expires_at).
import type { Queryable } from '../../db/database.js';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InvitationRow {
  id: string;
  tenant_id: string;
  email: string;
  name: string | null;
  roles: string[];
  status: InvitationStatus;
  expires_at: Date;
  user_id: string | null;
  created_at: Date;
  updated_at: Date;
  /** created_at to the microsecond, for the list's cursor. */
  cursor_at: string;
}

const COLUMNS = `id, tenant_id, email, name, roles,
  CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired' ELSE status END AS status,
  expires_at, user_id, created_at, updated_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

/** Revokes the address's pending invitation (expired or not), if any: the one a new invitation replaces. */
export async function revokePendingFor(
  db: Queryable,
  tenantId: string,
  emailNormalized: string,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `UPDATE invitations SET status = 'revoked', updated_at = now()
      WHERE tenant_id = $1 AND email_normalized = $2 AND status = 'pending'
      RETURNING ${COLUMNS}`,
    [tenantId, emailNormalized],
  );
  return result.rows[0] ?? null;
}

/** Null when the address has a pending invitation (one made at the same moment: see revokePendingFor). */
export async function insertInvitation(
  db: Queryable,
  row: {
    tenantId: string;
    email: string;
    emailNormalized: string;
    name: string | null;
    roles: readonly string[];
    tokenHash: Buffer;
    ttlSeconds: number;
  },
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `INSERT INTO invitations (tenant_id, email, email_normalized, name, roles, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
     ON CONFLICT (tenant_id, email_normalized) WHERE status = 'pending' DO NOTHING
     RETURNING ${COLUMNS}`,
    [row.tenantId, row.email, row.emailNormalized, row.name, [...row.roles], row.tokenHash, row.ttlSeconds],
  );
  return result.rows[0] ?? null;
}

export async function findInvitation(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `SELECT ${COLUMNS} FROM invitations WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return result.rows[0] ?? null;
}

/** The live (pending, unexpired) invitation a token opens, or null. */
export async function findLiveByToken(
  db: Queryable,
  tenantId: string,
  tokenHash: Buffer,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `SELECT ${COLUMNS} FROM invitations
      WHERE tenant_id = $1 AND token_hash = $2 AND status = 'pending' AND expires_at > now()`,
    [tenantId, tokenHash],
  );
  return result.rows[0] ?? null;
}

/**
 * Spends the invitation for `userId`: one conditional UPDATE, so of two submissions at once only one
 * finds it pending. Null when it is no longer live.
 */
export async function markAccepted(
  db: Queryable,
  tenantId: string,
  id: string,
  tokenHash: Buffer,
  userId: string,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `UPDATE invitations SET status = 'accepted', user_id = $4, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND token_hash = $3 AND status = 'pending' AND expires_at > now()
      RETURNING ${COLUMNS}`,
    [tenantId, id, tokenHash, userId],
  );
  return result.rows[0] ?? null;
}

/** Revokes a pending (unexpired) invitation; null when it is not one. */
export async function revokeInvitation(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `UPDATE invitations SET status = 'revoked', updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status = 'pending' AND expires_at > now()
      RETURNING ${COLUMNS}`,
    [tenantId, id],
  );
  return result.rows[0] ?? null;
}

/** A new token (and lifetime) for a pending invitation, expired or not; null when it is not pending. */
export async function renewToken(
  db: Queryable,
  tenantId: string,
  id: string,
  tokenHash: Buffer,
  ttlSeconds: number,
): Promise<InvitationRow | null> {
  const result = await db.query<InvitationRow>(
    `UPDATE invitations SET token_hash = $3, expires_at = now() + make_interval(secs => $4), updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND status = 'pending'
      RETURNING ${COLUMNS}`,
    [tenantId, id, tokenHash, ttlSeconds],
  );
  return result.rows[0] ?? null;
}

/** One page, newest first, after the keyset position `after` (exclusive). */
export async function listInvitations(
  db: Queryable,
  tenantId: string,
  status: InvitationStatus | undefined,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<InvitationRow[]> {
  const result = await db.query<InvitationRow>(
    `SELECT ${COLUMNS} FROM invitations
      WHERE tenant_id = $1
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        AND CASE $4::text
              WHEN 'pending' THEN status = 'pending' AND expires_at > now()
              WHEN 'expired' THEN status = 'pending' AND expires_at <= now()
              WHEN 'accepted' THEN status = 'accepted'
              WHEN 'revoked' THEN status = 'revoked'
              ELSE true
            END
      ORDER BY created_at DESC, id DESC
      LIMIT $5`,
    [tenantId, after?.createdAt ?? null, after?.id ?? null, status ?? null, limit],
  );
  return result.rows;
}

/** The invitations that made this user's account (their part of the data export). */
export async function invitationsOfUser(
  db: Queryable,
  tenantId: string,
  userId: string,
): Promise<InvitationRow[]> {
  const result = await db.query<InvitationRow>(
    `SELECT ${COLUMNS} FROM invitations WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at`,
    [tenantId, userId],
  );
  return result.rows;
}

/**
 * The sweeper's batch: invitations over for `keepDays` (accepted or revoked that long ago, or expired
 * that long ago). Accepted ones stay until then for the operator's list; the audit log keeps the rest.
 */
export async function deleteOldInvitations(db: Queryable, keepDays: number, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM invitations WHERE id IN (
       SELECT id FROM invitations
        WHERE (status <> 'pending' AND updated_at < now() - make_interval(days => $1))
           OR expires_at < now() - make_interval(days => $1)
        LIMIT $2)`,
    [keepDays, limit],
  );
  return result.rowCount;
}
