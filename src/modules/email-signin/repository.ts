// SQL of sign-in by email: one live link and one live code per user (a new one replaces the last).
import type { Queryable } from '../../db/database.js';

export type SignInKind = 'link' | 'code';

interface Owner {
  tenantId: string;
  userId: string;
}

/** Stores a new link or code for the user, replacing the one before (spent, expired or not). */
export async function storeSignIn(
  db: Queryable,
  owner: Owner,
  row: {
    kind: SignInKind;
    secretHash: Buffer;
    email: string;
    codeChallenge: string | null;
    interactionId: string | null;
    ttlMs: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO email_sign_ins
       (tenant_id, user_id, kind, secret_hash, email, code_challenge, interaction_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8::double precision / 1000))
     ON CONFLICT (tenant_id, user_id, kind) DO UPDATE SET
       secret_hash = EXCLUDED.secret_hash, email = EXCLUDED.email,
       code_challenge = EXCLUDED.code_challenge, interaction_id = EXCLUDED.interaction_id, attempts = 0,
       created_at = now(), expires_at = EXCLUDED.expires_at, consumed_at = NULL, exchange_hash = NULL,
       exchange_attempts = 0, exchange_expires_at = NULL, exchanged_at = NULL`,
    [
      owner.tenantId,
      owner.userId,
      row.kind,
      row.secretHash,
      row.email,
      row.codeChallenge,
      row.interactionId,
      row.ttlMs,
    ],
  );
}

export interface LiveLinkRow {
  user_id: string;
  email: string;
  code_challenge: string | null;
  interaction_id: string | null;
}

/** A live (unspent, unexpired) link by the MAC of its token, without spending it. */
export async function findLiveLink(
  db: Queryable,
  tenantId: string,
  secretHash: Buffer,
): Promise<LiveLinkRow | null> {
  const result = await db.query<LiveLinkRow>(
    `SELECT user_id, email, code_challenge, interaction_id FROM email_sign_ins
      WHERE tenant_id = $1 AND kind = 'link' AND secret_hash = $2 AND consumed_at IS NULL AND expires_at > now()`,
    [tenantId, secretHash],
  );
  return result.rows[0] ?? null;
}

/**
 * Spends a live link, in one statement (of parallel requests with the same link, one gets the row).
 * `codeChallenge`: the link must have been asked for with it; null: it must have been asked for without one.
 */
export async function consumeLink(
  db: Queryable,
  tenantId: string,
  secretHash: Buffer,
  codeChallenge: string | null,
): Promise<LiveLinkRow | null> {
  const result = await db.query<LiveLinkRow>(
    `UPDATE email_sign_ins SET consumed_at = now()
      WHERE tenant_id = $1 AND kind = 'link' AND secret_hash = $2 AND consumed_at IS NULL
        AND expires_at > now() AND code_challenge IS NOT DISTINCT FROM $3
      RETURNING user_id, email, code_challenge, interaction_id`,
    [tenantId, secretHash, codeChallenge],
  );
  return result.rows[0] ?? null;
}

/**
 * An app's link, spent on a page: stores the MAC of the code the page shows (for the app to exchange with
 * its verifier), live for `ttlMs`. Null unless the link was live and asked for by an app.
 */
export async function approveLink(
  db: Queryable,
  tenantId: string,
  secretHash: Buffer,
  exchangeHash: Buffer,
  ttlMs: number,
): Promise<LiveLinkRow | null> {
  const result = await db.query<LiveLinkRow>(
    `UPDATE email_sign_ins SET consumed_at = now(), exchange_hash = $3,
       exchange_expires_at = now() + make_interval(secs => $4::double precision / 1000),
       expires_at = GREATEST(expires_at, now() + make_interval(secs => $4::double precision / 1000))
      WHERE tenant_id = $1 AND kind = 'link' AND secret_hash = $2 AND consumed_at IS NULL
        AND expires_at > now() AND code_challenge IS NOT NULL
      RETURNING user_id, email, code_challenge, interaction_id`,
    [tenantId, secretHash, exchangeHash, ttlMs],
  );
  return result.rows[0] ?? null;
}

export interface CodeAttemptRow {
  user_id: string;
  email: string;
  code_hash: Buffer;
  attempts: number;
}

/** An exchange code to compare with, and the link it came from (the MAC names it). */
export interface ExchangeAttemptRow extends CodeAttemptRow {
  link_hash: Buffer;
}

/**
 * Counts one attempt on the user's live code and returns it to compare with; null when there is none (or
 * its attempts are spent). Counted before the comparison, in one statement.
 */
export async function takeCodeAttempt(
  db: Queryable,
  owner: Owner,
  maxAttempts: number,
): Promise<CodeAttemptRow | null> {
  const result = await db.query<CodeAttemptRow>(
    `UPDATE email_sign_ins SET attempts = attempts + 1
      WHERE tenant_id = $1 AND user_id = $2 AND kind = 'code'
        AND consumed_at IS NULL AND expires_at > now() AND attempts < $3
      RETURNING user_id, email, secret_hash AS code_hash, attempts`,
    [owner.tenantId, owner.userId, maxAttempts],
  );
  return result.rows[0] ?? null;
}

/** Spends the code `codeHash` names; false when it was spent or replaced meanwhile. */
export async function consumeCode(db: Queryable, owner: Owner, codeHash: Buffer): Promise<boolean> {
  const result = await db.query(
    `UPDATE email_sign_ins SET consumed_at = now()
      WHERE tenant_id = $1 AND user_id = $2 AND kind = 'code' AND secret_hash = $3
        AND consumed_at IS NULL AND expires_at > now()`,
    [owner.tenantId, owner.userId, codeHash],
  );
  return result.rowCount > 0;
}

/**
 * Counts one attempt on the exchange codes of the apps' links with this challenge (normally one) and
 * returns them; counted before the comparison.
 */
export async function takeExchangeAttempts(
  db: Queryable,
  tenantId: string,
  codeChallenge: string,
  maxAttempts: number,
): Promise<ExchangeAttemptRow[]> {
  const result = await db.query<ExchangeAttemptRow>(
    `UPDATE email_sign_ins SET exchange_attempts = exchange_attempts + 1
      WHERE tenant_id = $1 AND kind = 'link' AND code_challenge = $2 AND exchange_hash IS NOT NULL
        AND exchanged_at IS NULL AND exchange_expires_at > now() AND exchange_attempts < $3
      RETURNING user_id, email, exchange_hash AS code_hash, exchange_attempts AS attempts,
        secret_hash AS link_hash`,
    [tenantId, codeChallenge, maxAttempts],
  );
  return result.rows;
}

/** Spends an exchange code; false when it was spent meanwhile. */
export async function consumeExchange(db: Queryable, owner: Owner, codeHash: Buffer): Promise<boolean> {
  const result = await db.query(
    `UPDATE email_sign_ins SET exchanged_at = now()
      WHERE tenant_id = $1 AND user_id = $2 AND kind = 'link' AND exchange_hash = $3
        AND exchanged_at IS NULL AND exchange_expires_at > now()`,
    [owner.tenantId, owner.userId, codeHash],
  );
  return result.rowCount > 0;
}

/** The sweeper's job: links and codes past their expiry are of no use, spent or not. */
export async function deleteExpiredSignIns(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM email_sign_ins WHERE (tenant_id, user_id, kind) IN (
       SELECT tenant_id, user_id, kind FROM email_sign_ins WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}

/**
 * The user's pending sign-in links and codes for a data export (ModuleParts.userExport): where and when
 * they were sent, never their hashes.
 */
export async function exportEmailSignInData(db: Queryable, tenantId: string, userId: string) {
  const rows = await db.query(
    `SELECT kind, email, created_at, expires_at, consumed_at
       FROM email_sign_ins WHERE tenant_id = $1 AND user_id = $2 ORDER BY kind`,
    [tenantId, userId],
  );
  return { sign_ins: rows.rows };
}
