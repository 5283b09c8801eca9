// The passkeys tables. Every statement names the tenant. A challenge is taken (deleted) by the one
// request that presents it, and a signature counter only ever moves forward, each decided in one
// statement so two parallel requests cannot both pass.
import type { Queryable } from '../../db/database.js';
import type { EnrolledSql } from '../../kernel/authentication.js';

export interface PasskeyRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
  backup_eligible: boolean;
  backed_up: boolean;
  aaguid: string;
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

const COLUMNS =
  'id, user_id, credential_id, public_key, sign_count, transports, backup_eligible, backed_up, aaguid, name, created_at, last_used_at';

export type ChallengePurpose = 'register' | 'authenticate';

export async function insertChallenge(
  db: Queryable,
  tenantId: string,
  challenge: { hash: Buffer; purpose: ChallengePurpose; userId: string | null; ttlMs: number },
): Promise<void> {
  await db.query(
    `INSERT INTO passkey_challenges (tenant_id, challenge_hash, purpose, user_id, expires_at)
     VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond')`,
    [tenantId, challenge.hash, challenge.purpose, challenge.userId, challenge.ttlMs],
  );
}

/** Deletes the challenge and answers whom it was for; null when there is none live for `purpose`. */
export async function takeChallenge(
  db: Queryable,
  tenantId: string,
  hash: Buffer,
  purpose: ChallengePurpose,
): Promise<{ user_id: string | null } | null> {
  const result = await db.query<{ user_id: string | null; live: boolean }>(
    `DELETE FROM passkey_challenges WHERE tenant_id = $1 AND challenge_hash = $2 AND purpose = $3
     RETURNING user_id, expires_at > now() AS live`,
    [tenantId, hash, purpose],
  );
  const row = result.rows[0];
  return row?.live ? { user_id: row.user_id } : null;
}

export async function deleteExpiredChallenges(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM passkey_challenges WHERE (tenant_id, challenge_hash) IN (
       SELECT tenant_id, challenge_hash FROM passkey_challenges WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}

/** Saves a new passkey; null when the tenant already has this credential (registered twice). */
export async function insertPasskey(
  db: Queryable,
  tenantId: string,
  p: {
    userId: string;
    credentialId: string;
    publicKey: Uint8Array;
    signCount: number;
    transports: string[];
    backupEligible: boolean;
    backedUp: boolean;
    aaguid: string;
    name: string;
  },
): Promise<PasskeyRow | null> {
  const result = await db.query<PasskeyRow>(
    `INSERT INTO passkeys (tenant_id, user_id, credential_id, public_key, sign_count, transports,
                           backup_eligible, backed_up, aaguid, name)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (tenant_id, credential_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      tenantId,
      p.userId,
      p.credentialId,
      Buffer.from(p.publicKey),
      p.signCount,
      p.transports,
      p.backupEligible,
      p.backedUp,
      p.aaguid,
      p.name,
    ],
  );
  return result.rows[0] ?? null;
}

export async function findPasskeyByCredential(
  db: Queryable,
  tenantId: string,
  credentialId: string,
): Promise<PasskeyRow | null> {
  const result = await db.query<PasskeyRow>(
    `SELECT ${COLUMNS} FROM passkeys WHERE tenant_id = $1 AND credential_id = $2`,
    [tenantId, credentialId],
  );
  return result.rows[0] ?? null;
}

export async function listPasskeys(db: Queryable, tenantId: string, userId: string): Promise<PasskeyRow[]> {
  const result = await db.query<PasskeyRow>(
    `SELECT ${COLUMNS} FROM passkeys WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id`,
    [tenantId, userId],
  );
  return result.rows;
}

/**
 * SecondFactor.enrolledSql of the passkey factor: a passkey (migration 26), and another factor that is not
 * a fallback (`others`: their own enrolledSql; none: never).
 */
export function passkeyFactorEnrolledSql(others: readonly EnrolledSql[]): EnrolledSql {
  if (others.length === 0) return () => 'FALSE';
  return (tenantId, userId) =>
    `(hellojohn_passkeys_has_passkey(${tenantId}, ${userId})
      AND (${others.map((sql) => `(${sql(tenantId, userId)})`).join(' OR ')}))`;
}

export async function hasPasskey(db: Queryable, tenantId: string, userId: string): Promise<boolean> {
  const result = await db.query('SELECT 1 FROM passkeys WHERE tenant_id = $1 AND user_id = $2 LIMIT 1', [
    tenantId,
    userId,
  ]);
  return result.rowCount > 0;
}

export async function renamePasskey(
  db: Queryable,
  tenantId: string,
  userId: string,
  id: string,
  name: string,
): Promise<PasskeyRow | null> {
  const result = await db.query<PasskeyRow>(
    `UPDATE passkeys SET name = $4 WHERE tenant_id = $1 AND user_id = $2 AND id = $3 RETURNING ${COLUMNS}`,
    [tenantId, userId, id, name],
  );
  return result.rows[0] ?? null;
}

export async function deletePasskey(
  db: Queryable,
  tenantId: string,
  userId: string,
  id: string,
): Promise<boolean> {
  const result = await db.query('DELETE FROM passkeys WHERE tenant_id = $1 AND user_id = $2 AND id = $3', [
    tenantId,
    userId,
    id,
  ]);
  return result.rowCount > 0;
}

/**
 * Records a verified use: the counter moves to `signCount` only if that is forward (or the authenticator
 * keeps no counter: zero then and now). False when it is not: another use got there first, or a clone.
 */
export async function recordUse(
  db: Queryable,
  tenantId: string,
  id: string,
  use: { signCount: number; backedUp: boolean },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE passkeys SET sign_count = $3, backed_up = $4, last_used_at = now()
      WHERE tenant_id = $1 AND id = $2 AND (sign_count < $3 OR (sign_count = 0 AND $3 = 0))`,
    [tenantId, id, use.signCount, use.backedUp],
  );
  return result.rowCount > 0;
}

/** The user's passkeys for a data export (ModuleParts.userExport): never the public key or a challenge. */
export async function exportPasskeyData(db: Queryable, tenantId: string, userId: string) {
  const rows = await db.query(
    `SELECT id, name, aaguid, transports, backup_eligible, backed_up, created_at, last_used_at
       FROM passkeys WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at`,
    [tenantId, userId],
  );
  return { passkeys: rows.rows };
}
