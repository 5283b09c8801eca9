// SQL of the email and SMS factors: confirmed factors, and the one live code per user and channel.
import type { Queryable } from '../../../db/database.js';
import type { EnrolledSql } from '../../../kernel/authentication.js';

export type CodeChannel = 'email' | 'sms';
export type CodePurpose = 'sign_in' | 'enroll';

export interface CodeFactorRow {
  id: string;
  channel: CodeChannel;
  phone_number: string | null;
  confirmed_at: Date;
  last_used_at: Date | null;
}

export interface CodeAttemptRow {
  purpose: CodePurpose;
  code_hash: Buffer;
  phone_number: string | null;
  /** Attempts on this code, this one included. */
  attempts: number;
}

export interface CodeOwner {
  tenantId: string;
  userId: string;
  channel: CodeChannel;
}

/** Whose code factor of which channel: the key every query of this repository starts from. */
export function codeOwner(
  tenant: { id: string },
  user: { id: string },
  channel: CodeOwner['channel'],
): CodeOwner {
  return { tenantId: tenant.id, userId: user.id, channel };
}

/** SecondFactor.enrolledSql of each channel's factor: its row (rows are confirmed); migration 25. */
export const CODE_FACTOR_ENROLLED_SQL: Readonly<Record<CodeChannel, EnrolledSql>> = {
  email: (tenantId, userId) => `hellojohn_mfa_code_factor_enrolled(${tenantId}, ${userId}, 'email')`,
  sms: (tenantId, userId) => `hellojohn_mfa_code_factor_enrolled(${tenantId}, ${userId}, 'sms')`,
};

export async function findCodeFactor(db: Queryable, owner: CodeOwner): Promise<CodeFactorRow | null> {
  const result = await db.query<CodeFactorRow>(
    `SELECT id, channel, phone_number, confirmed_at, last_used_at FROM mfa_code_factors
      WHERE tenant_id = $1 AND user_id = $2 AND channel = $3`,
    [owner.tenantId, owner.userId, owner.channel],
  );
  return result.rows[0] ?? null;
}

/** Confirms the factor (a new number replaces the old one); the codes sent before are void. */
export async function confirmCodeFactor(
  db: Queryable,
  owner: CodeOwner,
  phoneNumber: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO mfa_code_factors (tenant_id, user_id, channel, phone_number)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, user_id, channel)
     DO UPDATE SET phone_number = EXCLUDED.phone_number, confirmed_at = now(), last_used_at = NULL`,
    [owner.tenantId, owner.userId, owner.channel, phoneNumber],
  );
}

export async function touchCodeFactor(db: Queryable, owner: CodeOwner): Promise<void> {
  await db.query(
    `UPDATE mfa_code_factors SET last_used_at = now() WHERE tenant_id = $1 AND user_id = $2 AND channel = $3`,
    [owner.tenantId, owner.userId, owner.channel],
  );
}

/** Removes the factor (`id`: only that one) and its code; false when there was none. */
export async function removeCodeFactor(db: Queryable, owner: CodeOwner, id?: string): Promise<boolean> {
  const params = [owner.tenantId, owner.userId, owner.channel];
  const result = await db.query(
    `DELETE FROM mfa_code_factors WHERE tenant_id = $1 AND user_id = $2 AND channel = $3
        ${id ? 'AND id = $4' : ''}`,
    id ? [...params, id] : params,
  );
  if (result.rowCount === 0) return false;
  await db.query(
    `DELETE FROM mfa_one_time_codes WHERE tenant_id = $1 AND user_id = $2 AND channel = $3`,
    params,
  );
  return true;
}

/** The factor's pending state too: a code on its way (an enrolment in progress) is void. */
export async function removeCodes(db: Queryable, owner: CodeOwner): Promise<void> {
  await db.query(`DELETE FROM mfa_one_time_codes WHERE tenant_id = $1 AND user_id = $2 AND channel = $3`, [
    owner.tenantId,
    owner.userId,
    owner.channel,
  ]);
}

/** Stores a new code for the user and channel, replacing the one before (spent, expired or not). */
export async function storeCode(
  db: Queryable,
  owner: CodeOwner,
  code: { purpose: CodePurpose; codeHash: Buffer; phoneNumber: string | null; ttlMs: number },
): Promise<void> {
  await db.query(
    `INSERT INTO mfa_one_time_codes (tenant_id, user_id, channel, purpose, code_hash, phone_number, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::double precision / 1000))
     ON CONFLICT (tenant_id, user_id, channel) DO UPDATE SET
       purpose = EXCLUDED.purpose, code_hash = EXCLUDED.code_hash, phone_number = EXCLUDED.phone_number,
       attempts = 0, created_at = now(), expires_at = EXCLUDED.expires_at, consumed_at = NULL`,
    [owner.tenantId, owner.userId, owner.channel, code.purpose, code.codeHash, code.phoneNumber, code.ttlMs],
  );
}

/** Deletes the code `codeHash` names, if it is still the current one (a send that failed). */
export async function deleteCode(db: Queryable, owner: CodeOwner, codeHash: Buffer): Promise<void> {
  await db.query(
    `DELETE FROM mfa_one_time_codes
      WHERE tenant_id = $1 AND user_id = $2 AND channel = $3 AND code_hash = $4`,
    [owner.tenantId, owner.userId, owner.channel, codeHash],
  );
}

/**
 * Counts one attempt on the live code (unspent, unexpired, attempts left) and returns it to compare with;
 * null when there is none. The count is taken before the comparison, in one statement, so parallel
 * guesses get no more tries than sequential ones.
 */
export async function takeCodeAttempt(
  db: Queryable,
  owner: CodeOwner,
  maxAttempts: number,
): Promise<CodeAttemptRow | null> {
  const result = await db.query<CodeAttemptRow>(
    `UPDATE mfa_one_time_codes SET attempts = attempts + 1
      WHERE tenant_id = $1 AND user_id = $2 AND channel = $3
        AND consumed_at IS NULL AND expires_at > now() AND attempts < $4
      RETURNING purpose, code_hash, phone_number, attempts`,
    [owner.tenantId, owner.userId, owner.channel, maxAttempts],
  );
  return result.rows[0] ?? null;
}

/** Spends the code `codeHash` names; false when it was spent or replaced meanwhile. */
export async function consumeCode(db: Queryable, owner: CodeOwner, codeHash: Buffer): Promise<boolean> {
  const result = await db.query(
    `UPDATE mfa_one_time_codes SET consumed_at = now()
      WHERE tenant_id = $1 AND user_id = $2 AND channel = $3 AND code_hash = $4
        AND consumed_at IS NULL AND expires_at > now()`,
    [owner.tenantId, owner.userId, owner.channel, codeHash],
  );
  return result.rowCount > 0;
}

/** The sweeper's job: codes past their expiry are of no use, spent or not. */
export async function deleteExpiredCodes(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM mfa_one_time_codes WHERE (tenant_id, user_id, channel) IN (
       SELECT tenant_id, user_id, channel FROM mfa_one_time_codes WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}
