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

// base64url(SHA-256(verifier)): the S256 challenge of PKCE.
const S256 = `translate(rtrim(encode(sha256(convert_to($5::text, 'UTF8')), 'base64'), '='), '+/', '-_')`;

/**
 * Redeems an authorization code in one statement: marks it used (whether or not it already was), checks
 * client, redirect URI, expiry and PKCE, and only when all pass starts the OAuth session (and its first
 * refresh token) under the still-live browser session, audited. Returns the code, what each check found,
 * and the user. Null when no such code exists in the tenant.
 */
export async function redeemAuthorizationCode(db: Queryable, r: Redemption): Promise<RedeemedCode | null> {
  const result = await db.query<Omit<RedeemedCode, 'user'> & { user: UserRow }>(
    `WITH before AS (
       SELECT code_hash, used_at FROM authorization_codes WHERE code_hash = $2 AND tenant_id = $1 FOR UPDATE
     ), code AS (
       UPDATE authorization_codes c SET used_at = coalesce(c.used_at, now())
         FROM before WHERE c.code_hash = before.code_hash
       RETURNING c.*, before.used_at IS NOT NULL AS replayed, c.expires_at <= now() AS expired,
         c.client_id = $3 AS client_matches, c.redirect_uri = $4 AS redirect_matches,
         CASE WHEN c.code_challenge IS NULL THEN $5::text IS NULL
              ELSE $5::text IS NOT NULL AND c.code_challenge = ${S256} END AS pkce_ok
     ), s AS (
       INSERT INTO sessions (id, tenant_id, user_id, kind, parent_id, client_id, amr, auth_time, ip, user_agent,
         idle_expires_at, expires_at)
       SELECT code.session_id, p.tenant_id, p.user_id, 'api', p.id, code.client_id, code.amr, code.auth_time, $6, $7,
              LEAST(p.expires_at, now() + ${ms(r.session.idleTtlMs)}), LEAST(p.expires_at, now() + ${ms(r.session.ttlMs)})
         FROM code JOIN sessions p ON p.id = code.browser_session_id AND p.tenant_id = code.tenant_id
         JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
        WHERE NOT code.replayed AND NOT code.expired AND code.client_matches AND code.redirect_matches
          AND code.pkce_ok AND p.user_id = code.user_id AND p.revoked_at IS NULL AND p.expires_at > now()
          AND p.idle_expires_at > now() AND NOT u.blocked
       RETURNING *
     ), rt AS (
       INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
       SELECT s.tenant_id, s.id, $8, s.client_id, code.scope, LEAST(s.expires_at, now() + ${ms(r.refresh?.ttlMs ?? 0)})
         FROM s, code WHERE $8::bytea IS NOT NULL
     ), a AS (
       INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data)
       SELECT s.tenant_id, 'oauth.code_exchanged', s.user_id, s.ip, s.user_agent,
              jsonb_build_object('client_id', s.client_id, 'session_id', s.id)
         FROM s
     )
     SELECT code.client_id, code.user_id, code.browser_session_id, code.session_id, code.scope, code.nonce,
            code.auth_time, code.amr, code.replayed, code.expired, code.client_matches, code.redirect_matches,
            code.pkce_ok, EXISTS (SELECT 1 FROM s) AS started, to_jsonb(u) AS user
       FROM code JOIN users u ON u.tenant_id = code.tenant_id AND u.id = code.user_id`,
    [
      r.tenantId,
      r.codeHash,
      r.clientId,
      r.redirectUri,
      r.codeVerifier,
      r.session.ip,
      r.session.userAgent,
      r.refresh?.tokenHash ?? null,
    ],
  );
  const row = result.rows[0];
  return row ? { ...row, user: userFromJson(row.user as unknown as Record<string, unknown>) } : null;
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
