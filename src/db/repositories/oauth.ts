// Authorization codes, the OAuth sessions a code exchange starts, and remembered consent.
import type { Queryable } from '../database.js';
import { userFromJson, type UserRow } from './users.js';

const ms = (n: number) => `make_interval(secs => ${n}::double precision / 1000)`;

export interface NewAuthorizationCode {
  codeHash: Buffer;
  tenantId: string;
  clientId: string;
  userId: string;
  browserSessionId: string;
  sessionId: string;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  authTime: Date;
  amr: string[];
  ttlMs: number;
}

export async function insertAuthorizationCode(db: Queryable, code: NewAuthorizationCode): Promise<void> {
  await db.query(
    `INSERT INTO authorization_codes (code_hash, tenant_id, client_id, user_id, browser_session_id, session_id,
       redirect_uri, scope, nonce, code_challenge, auth_time, amr, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + ${ms(code.ttlMs)})`,
    [
      code.codeHash,
      code.tenantId,
      code.clientId,
      code.userId,
      code.browserSessionId,
      code.sessionId,
      code.redirectUri,
      code.scope,
      code.nonce,
      code.codeChallenge,
      code.authTime,
      code.amr,
    ],
  );
}

export interface Redemption {
  /** The exchange presented by the client: checked against the code in the same statement. */
  tenantId: string;
  codeHash: Buffer;
  clientId: string;
  redirectUri: string;
  codeVerifier: string | null;
  /** The OAuth session to start when every check passes. */
  session: { ip: string | null; userAgent: string | null; ttlMs: number; idleTtlMs: number };
  refresh: { tokenHash: Buffer; ttlMs: number } | null;
}

export interface RedeemedCode {
  client_id: string;
  user_id: string;
  browser_session_id: string;
  session_id: string;
  scope: string;
  nonce: string | null;
  auth_time: Date;
  amr: string[];
  /** The code had been redeemed before this call: a replay. */
  replayed: boolean;
  expired: boolean;
  client_matches: boolean;
  redirect_matches: boolean;
  /** PKCE: the verifier matches the challenge (or neither was sent). */
  pkce_ok: boolean;
  /** The OAuth session was started: every check passed and the browser session is still live. */
  started: boolean;
  /** The user, for the ID token's claims. */
  user: UserRow;
}

/**
 * Redeems an authorization code in one statement: checks client, redirect URI, expiry and PKCE, and only
 * when all pass (and the code was unused) marks it used and starts the OAuth session (and its first
 * refresh token) under the still-live browser session, audited. A refused exchange changes nothing.
 * Returns the code, what each check found, and the user. Null when no such code exists in the tenant.
 */
export async function redeemAuthorizationCode(db: Queryable, r: Redemption): Promise<RedeemedCode | null> {
  // The statement lives in migrations 0004/0006 as a PL/pgSQL function, so each connection plans it once.
  const result = await db.query<Omit<RedeemedCode, 'user'> & { user_row: UserRow }>(
    'SELECT * FROM hellojohn_redeem_authorization_code($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
    [
      r.tenantId,
      r.codeHash,
      r.clientId,
      r.redirectUri,
      r.codeVerifier,
      r.session.ip,
      r.session.userAgent,
      r.session.ttlMs,
      r.session.idleTtlMs,
      r.refresh?.tokenHash ?? null,
      r.refresh?.ttlMs ?? 0,
    ],
  );
  const row = result.rows[0];
  if (!row) return null;
  const { user_row: user, ...code } = row;
  return { ...code, user: userFromJson(user as unknown as Record<string, unknown>) };
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
