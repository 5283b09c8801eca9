import type { Queryable } from '../database.js';

export type EmailTokenPurpose = 'verify_email' | 'reset_password';

/** Stores a new single-use token and invalidates earlier unused ones of the same purpose. */
export async function insertEmailToken(
  db: Queryable,
  token: {
    tenantId: string;
    userId: string;
    purpose: EmailTokenPurpose;
    tokenHash: Buffer;
    email: string;
    ttlMs: number;
  },
): Promise<void> {
  await db.query(
    `WITH earlier AS (
       UPDATE email_tokens SET used_at = now()
        WHERE tenant_id = $1 AND user_id = $2 AND purpose = $3 AND used_at IS NULL
     )
     INSERT INTO email_tokens (tenant_id, user_id, purpose, token_hash, email, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::double precision / 1000))`,
    [token.tenantId, token.userId, token.purpose, token.tokenHash, token.email, token.ttlMs],
  );
}

/** Marks a live token used and returns whose it was; null when unknown, expired or already used. */
export async function consumeEmailToken(
  db: Queryable,
  tenantId: string,
  purpose: EmailTokenPurpose,
  tokenHash: Buffer,
): Promise<{ user_id: string; email: string } | null> {
  const result = await db.query<{ user_id: string; email: string }>(
    `UPDATE email_tokens SET used_at = now()
      WHERE tenant_id = $1 AND purpose = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > now()
      RETURNING user_id, email`,
    [tenantId, purpose, tokenHash],
  );
  return result.rows[0] ?? null;
}

/** Whose a live (unused, unexpired) token is, without spending it. */
export async function findLiveEmailToken(
  db: Queryable,
  tenantId: string,
  purpose: EmailTokenPurpose,
  tokenHash: Buffer,
): Promise<{ user_id: string } | null> {
  const result = await db.query<{ user_id: string }>(
    `SELECT user_id FROM email_tokens
      WHERE tenant_id = $1 AND purpose = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > now()`,
    [tenantId, purpose, tokenHash],
  );
  return result.rows[0] ?? null;
}
