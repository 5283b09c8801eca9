// The MFA tables. Every statement names the tenant; the single-use rules (a TOTP time step, a recovery
// code) are decided inside one UPDATE, so two parallel requests with the same code cannot both pass.
import type { Queryable } from '../../db/database.js';
import type { EnrolledSql } from '../../kernel/authentication.js';

export interface TotpRow {
  id: string;
  secret_sealed: Buffer;
  digits: number;
  period: number;
  created_at: Date;
  confirmed_at: Date | null;
  last_used_at: Date | null;
}

const TOTP_COLUMNS = 'id, secret_sealed, digits, period, created_at, confirmed_at, last_used_at';

/** SecondFactor.enrolledSql of TOTP: a confirmed one (a pending one is not ready); migration 25. */
export const totpEnrolledSql: EnrolledSql = (tenantId, userId) =>
  `hellojohn_mfa_totp_enrolled(${tenantId}, ${userId})`;

export async function findTotp(db: Queryable, tenantId: string, userId: string): Promise<TotpRow | null> {
  const result = await db.query<TotpRow>(
    `SELECT ${TOTP_COLUMNS} FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`,
    [tenantId, userId],
  );
  return result.rows[0] ?? null;
}

/** Creates or replaces the user's pending TOTP; null when a confirmed one exists (it is never replaced). */
export async function savePendingTotp(
  db: Queryable,
  tenantId: string,
  userId: string,
  totp: { secretSealed: Buffer; digits: number; period: number },
): Promise<TotpRow | null> {
  const result = await db.query<TotpRow>(
    `INSERT INTO mfa_totp (tenant_id, user_id, secret_sealed, digits, period)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, user_id) DO UPDATE
        SET secret_sealed = EXCLUDED.secret_sealed, digits = EXCLUDED.digits, period = EXCLUDED.period,
            created_at = now(), last_step = NULL, last_used_at = NULL
      WHERE mfa_totp.confirmed_at IS NULL
     RETURNING ${TOTP_COLUMNS}`,
    [tenantId, userId, totp.secretSealed, totp.digits, totp.period],
  );
  return result.rows[0] ?? null;
}

/**
 * Accepts time step `step` of the user's TOTP once: true only for the first request that presents it (or
 * a later step). `confirm`: the pending TOTP becomes confirmed by this code; otherwise only a confirmed
 * one is accepted.
 */
export async function acceptTotpStep(
  db: Queryable,
  tenantId: string,
  userId: string,
  totpId: string,
  step: number,
  confirm: boolean,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE mfa_totp
        SET last_step = $4, last_used_at = now()${confirm ? ', confirmed_at = now()' : ''}
      WHERE tenant_id = $1 AND user_id = $2 AND id = $3
        AND confirmed_at IS ${confirm ? '' : 'NOT '}NULL
        AND (last_step IS NULL OR last_step < $4)
      RETURNING id`,
    [tenantId, userId, totpId, step],
  );
  return result.rows.length === 1;
}

/** Removes the user's TOTP (pending or confirmed); `id` limits it to that row. True when one was removed. */
export async function deleteTotp(
  db: Queryable,
  tenantId: string,
  userId: string,
  id?: string,
): Promise<boolean> {
  const result = await db.query(
    `DELETE FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2 ${id ? 'AND id = $3' : ''} RETURNING id`,
    id ? [tenantId, userId, id] : [tenantId, userId],
  );
  return result.rows.length > 0;
}

export interface RecoveryCodeSummary {
  remaining: number;
  created_at: Date | null;
  last_used_at: Date | null;
}

/** SecondFactor.enrolledSql of recovery codes: an unused one; migration 25. */
export const recoveryCodesEnrolledSql: EnrolledSql = (tenantId, userId) =>
  `hellojohn_mfa_recovery_codes_enrolled(${tenantId}, ${userId})`;

/** Replaces every recovery code of the user with these (hashed) ones. */
export async function replaceRecoveryCodes(
  db: Queryable,
  tenantId: string,
  userId: string,
  hashes: readonly Buffer[],
): Promise<void> {
  await db.query('DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2', [tenantId, userId]);
  await db.query(
    `INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash)
     SELECT $1, $2, h FROM unnest($3::bytea[]) AS h`,
    [tenantId, userId, hashes],
  );
}

/** Spends the unused code with this hash, once; answers whether it was spent and how many are left. */
export async function useRecoveryCode(
  db: Queryable,
  tenantId: string,
  userId: string,
  hash: Buffer,
): Promise<{ used: boolean; remaining: number }> {
  // The outer SELECT sees the table as it was before the UPDATE: the spent code is subtracted.
  const result = await db.query<{ used: number; unused_before: number }>(
    `WITH spent AS (
       UPDATE mfa_recovery_codes SET used_at = now()
        WHERE tenant_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL
        RETURNING id
     )
     SELECT (SELECT count(*) FROM spent)::int AS used,
            (SELECT count(*) FROM mfa_recovery_codes
              WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL)::int AS unused_before`,
    [tenantId, userId, hash],
  );
  const row = result.rows[0]!;
  return { used: row.used === 1, remaining: row.unused_before - row.used };
}

export async function recoveryCodeSummary(
  db: Queryable,
  tenantId: string,
  userId: string,
): Promise<RecoveryCodeSummary> {
  const result = await db.query<RecoveryCodeSummary>(
    `SELECT (count(*) FILTER (WHERE used_at IS NULL))::int AS remaining,
            min(created_at) AS created_at, max(used_at) AS last_used_at
       FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`,
    [tenantId, userId],
  );
  return result.rows[0]!;
}

export async function deleteRecoveryCodes(db: Queryable, tenantId: string, userId: string): Promise<boolean> {
  const result = await db.query(
    'DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2 RETURNING id',
    [tenantId, userId],
  );
  return result.rows.length > 0;
}

export interface UserMfaSettingsRow {
  preferred_factor: string | null;
  devices_revoked_at: Date | null;
}

export async function findUserMfaSettings(
  db: Queryable,
  tenantId: string,
  userId: string,
): Promise<UserMfaSettingsRow | null> {
  const result = await db.query<UserMfaSettingsRow>(
    'SELECT preferred_factor, devices_revoked_at FROM mfa_user_settings WHERE tenant_id = $1 AND user_id = $2',
    [tenantId, userId],
  );
  return result.rows[0] ?? null;
}

export async function setPreferredFactor(
  db: Queryable,
  tenantId: string,
  userId: string,
  factor: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO mfa_user_settings (tenant_id, user_id, preferred_factor) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, user_id) DO UPDATE SET preferred_factor = $3, updated_at = now()`,
    [tenantId, userId, factor],
  );
}

/** Forgets the preferred factor and voids every trusted device of the user (an MFA reset). */
export async function resetUserMfaSettings(db: Queryable, tenantId: string, userId: string): Promise<void> {
  await db.query(
    `INSERT INTO mfa_user_settings (tenant_id, user_id, preferred_factor, devices_revoked_at)
     VALUES ($1, $2, NULL, now())
     ON CONFLICT (tenant_id, user_id) DO UPDATE
        SET preferred_factor = NULL, devices_revoked_at = now(), updated_at = now()`,
    [tenantId, userId],
  );
}

/** The addresses the user's sessions came from since `since` (ended sessions included). */
export async function recentSessionAddresses(
  db: Queryable,
  tenantId: string,
  userId: string,
  since: Date,
): Promise<string[]> {
  const result = await db.query<{ ip: string }>(
    `SELECT DISTINCT ip FROM sessions
      WHERE tenant_id = $1 AND user_id = $2 AND created_at > $3 AND ip IS NOT NULL`,
    [tenantId, userId, since],
  );
  return result.rows.map((row) => row.ip);
}

/** Failed sign-in steps (password or second step) of the user since `since`, from the audit trail. */
export async function countFailedSignIns(
  db: Queryable,
  tenantId: string,
  userId: string,
  types: readonly string[],
  since: Date,
): Promise<number> {
  const result = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_events
      WHERE tenant_id = $1 AND user_id = $2 AND type = ANY($3::text[]) AND created_at > $4`,
    [tenantId, userId, types, since],
  );
  return result.rows[0]!.n;
}

/**
 * The user's part of a data export (ModuleParts.userExport): which factors they have and when they were
 * set up and used, and how many recovery codes are left. Never a seed, a code or a code's hash.
 */
export async function exportMfaData(db: Queryable, tenantId: string, userId: string) {
  const [totp, codes, recovery, settings] = await Promise.all([
    db.query(
      `SELECT id, digits, period, created_at, confirmed_at, last_used_at
         FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    ),
    db.query(
      `SELECT id, channel, phone_number, confirmed_at, last_used_at
         FROM mfa_code_factors WHERE tenant_id = $1 AND user_id = $2 ORDER BY channel`,
      [tenantId, userId],
    ),
    db.query<{ total: string; unused: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE used_at IS NULL) AS unused
         FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    ),
    db.query(
      `SELECT preferred_factor, devices_revoked_at, updated_at
         FROM mfa_user_settings WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    ),
  ]);
  return {
    totp: totp.rows,
    code_factors: codes.rows,
    recovery_codes: {
      total: Number(recovery.rows[0]?.total ?? 0),
      unused: Number(recovery.rows[0]?.unused ?? 0),
    },
    settings: settings.rows[0] ?? null,
  };
}
