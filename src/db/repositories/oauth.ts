// The OAuth sessions a code exchange starts, refresh tokens as the provider reads them, and remembered consent.
import type { Queryable } from '../database.js';
import { userFromJson, type UserRow } from './users.js';

export interface CodeGrantStart {
  tenantId: string;
  /** The OAuth session the code names: its single use. */
  sessionId: string;
  browserSessionId: string;
  userId: string;
  clientId: string;
  scope: string;
  amr: string[];
  authTime: Date;
  /** false for an expired code: only asks whether it was redeemed before (a replay still revokes). */
  start: boolean;
  session: { ip: string | null; userAgent: string | null; ttlMs: number; idleTtlMs: number };
  refresh: { tokenHash: Buffer; ttlMs: number } | null;
}

export interface CodeGrantStarted {
  /** The OAuth session (and its refresh token) was started, audited. */
  started: boolean;
  /** The code had been redeemed before: its session exists already. */
  replayed: boolean;
  /** The user, for the ID token's claims (null when the user is gone). */
  user: UserRow | null;
}

/**
 * The database half of a code exchange whose sealed grant passed every check: starts the OAuth session
 * the code names (with its first refresh token, audited) under the still-live browser session of a user
 * who is not blocked, or finds that the code was redeemed before. One call of a PL/pgSQL function
 * (migration 23), so each connection plans it once.
 */
export async function startCodeGrant(db: Queryable, g: CodeGrantStart): Promise<CodeGrantStarted> {
  const result = await db.query<{
    started: boolean;
    replayed: boolean;
    user_row: Record<string, unknown> | null;
  }>(
    'SELECT * FROM hellojohn_start_code_grant($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)',
    [
      g.tenantId,
      g.sessionId,
      g.browserSessionId,
      g.userId,
      g.clientId,
      g.scope,
      g.amr,
      g.authTime,
      g.session.ip,
      g.session.userAgent,
      g.session.ttlMs,
      g.session.idleTtlMs,
      g.refresh?.tokenHash ?? null,
      g.refresh?.ttlMs ?? 0,
      g.start,
    ],
  );
  const row = result.rows[0]!;
  return {
    started: row.started,
    replayed: row.replayed,
    user: row.user_row ? userFromJson(row.user_row) : null,
  };
}

export interface RefreshTokenInfo {
  session_id: string;
  user_id: string;
  client_id: string | null;
  scope: string;
  expires_at: Date;
  created_at: Date;
  active: boolean;
}

/** A refresh token by hash, with whether it (and its session and user) is still usable. */
export async function findRefreshToken(
  db: Queryable,
  tenantId: string,
  tokenHash: Buffer,
): Promise<RefreshTokenInfo | null> {
  const result = await db.query<RefreshTokenInfo>(
    `SELECT t.session_id, s.user_id, t.client_id, t.scope, t.expires_at, t.created_at,
            (t.rotated_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now() AND s.revoked_at IS NULL
             AND s.expires_at > now() AND s.idle_expires_at > now() AND NOT u.blocked) AS active
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
       JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
      WHERE t.tenant_id = $1 AND t.token_hash = $2`,
    [tenantId, tokenHash],
  );
  return result.rows[0] ?? null;
}

/** The scopes a user has granted a client, or null when never asked. */
export async function findConsent(
  db: Queryable,
  tenantId: string,
  userId: string,
  clientId: string,
): Promise<string[] | null> {
  const result = await db.query<{ scopes: string[] }>(
    'SELECT scopes FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3',
    [tenantId, userId, clientId],
  );
  return result.rows[0]?.scopes ?? null;
}

/** Remembers a grant; scopes granted earlier stay granted. */
export async function saveConsent(
  db: Queryable,
  tenantId: string,
  userId: string,
  clientId: string,
  scopes: string[],
): Promise<void> {
  await db.query(
    `INSERT INTO consents (tenant_id, user_id, client_id, scopes) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE
       SET scopes = ARRAY(SELECT DISTINCT unnest(consents.scopes || EXCLUDED.scopes)), updated_at = now()`,
    [tenantId, userId, clientId, scopes],
  );
}
