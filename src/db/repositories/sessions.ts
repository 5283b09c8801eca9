// Sessions and their refresh tokens. The hot paths (refresh, session lookup) are single statements.
import type { AuditEventType } from './audit.js';
import type { Queryable } from '../database.js';
import { lastLoginSql } from './users.js';

export interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string;
  kind: 'api' | 'browser';
  amr: string[];
  auth_time: Date;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  expires_at: Date;
}

const SESSION_COLUMNS =
  's.id, s.tenant_id, s.user_id, s.kind, s.amr, s.auth_time, s.ip, s.user_agent, s.created_at, s.last_seen_at, s.idle_expires_at, s.expires_at';
const LIVE = 's.revoked_at IS NULL AND s.expires_at > now() AND s.idle_expires_at > now()';
const ms = (n: number) => `make_interval(secs => ${n}::double precision / 1000)`;

export interface NewSession {
  tenantId: string;
  userId: string;
  kind: 'api' | 'browser';
  cookieHash?: Buffer;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  ttlMs: number;
  idleTtlMs: number;
}

export interface NewRefreshToken {
  tokenHash: Buffer;
  ttlMs: number;
  clientId?: string | null;
  scope?: string;
}

/**
 * Creates a session (and, for API sessions, its first refresh token) and records the audit event: one
 * call of a PL/pgSQL function (migration 0024), planned once per connection. Three rows; the user's last
 * sign-in is this session's created_at (lastLoginSql), not a fourth.
 */
export async function createSession(
  db: Queryable,
  session: NewSession,
  refresh: NewRefreshToken | null,
  audit: { type: AuditEventType; data: object },
): Promise<SessionRow> {
  const result = await db.query<SessionRow>(
    'SELECT * FROM hellojohn_start_session($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)',
    [
      session.tenantId,
      session.userId,
      session.kind,
      session.cookieHash ?? null,
      session.amr,
      session.ip,
      session.userAgent,
      session.idleTtlMs,
      session.ttlMs,
      refresh?.tokenHash ?? null,
      refresh?.clientId ?? null,
      refresh?.scope ?? '',
      refresh?.ttlMs ?? 0,
      audit.type,
      JSON.stringify(audit.data),
    ],
  );
  return result.rows[0]!;
}

/**
 * Step-up: a live browser session of this user gains more authentication methods, and its auth_time
 * becomes now (the user just authenticated again); audited in the same statement. False when the session
 * ended meanwhile.
 */
export async function upgradeSession(
  db: Queryable,
  tenantId: string,
  sessionId: string,
  userId: string,
  amr: readonly string[],
  audit: { type: AuditEventType; ip: string; userAgent: string | null; data: object },
): Promise<boolean> {
  const result = await db.query(
    `WITH s AS (
       UPDATE sessions SET amr = $4, auth_time = now()
        WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND kind = 'browser'
          AND revoked_at IS NULL AND expires_at > now() AND idle_expires_at > now()
        RETURNING id
     ), a AS (
       INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data)
       SELECT $1, $5, $3, $6, $7, $8::jsonb || jsonb_build_object('session_id', s.id) FROM s
     )
     SELECT id FROM s`,
    [
      tenantId,
      sessionId,
      userId,
      [...amr],
      audit.type,
      audit.ip,
      audit.userAgent,
      JSON.stringify(audit.data),
    ],
  );
  return result.rows.length === 1;
}

export interface RotatedRefresh {
  session_id: string;
  tenant_id: string;
  user_id: string;
  amr: string[];
  auth_time: Date;
  /** The browser session an OAuth session was started from (the ID token's `sid`). */
  parent_id: string | null;
  scope: string;
  client_id: string | null;
}

/**
 * Exchanges a live refresh token for a new one in one statement: marks the old one rotated, inserts the
 * successor and extends the session's idle deadline (at most once a minute, so a refresh usually
 * writes two rows, not three). Null when the token is not live (unknown, expired,
 * rotated, revoked, or its session or user is gone or blocked).
 */
export async function rotateRefreshToken(
  db: Queryable,
  tenantId: string,
  oldHash: Buffer,
  newHash: Buffer,
  refreshTtlMs: number,
  idleTtlMs: number,
  /** The OAuth client presenting the token; null for the first-party API. Tokens are bound to it. */
  clientId: string | null = null,
): Promise<RotatedRefresh | null> {
  // The statement lives in migration 0004 as a PL/pgSQL function, so each connection plans it once.
  const result = await db.query<RotatedRefresh>(
    'SELECT * FROM hellojohn_rotate_refresh_token($1, $2, $3, $4, $5, $6)',
    [tenantId, oldHash, newHash, clientId, refreshTtlMs, idleTtlMs],
  );
  return result.rows[0] ?? null;
}

/** The session a refresh token belongs to, if the token exists but was already rotated (reuse). */
export async function findRotatedRefreshToken(
  db: Queryable,
  tenantId: string,
  tokenHash: Buffer,
  clientId: string | null,
): Promise<{ session_id: string; user_id: string } | null> {
  const result = await db.query<{ session_id: string; user_id: string }>(
    `SELECT t.session_id, s.user_id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
      WHERE t.tenant_id = $1 AND t.token_hash = $2 AND t.rotated_at IS NOT NULL
        AND t.client_id IS NOT DISTINCT FROM $3`,
    [tenantId, tokenHash, clientId],
  );
  return result.rows[0] ?? null;
}

/**
 * The live session of a current first-party refresh token (for logout): the token is the latest of its
 * session (not rotated), unexpired and not an OAuth client's, which logs out through /oauth2/revoke.
 */
export async function findSessionByRefreshToken(
  db: Queryable,
  tenantId: string,
  tokenHash: Buffer,
): Promise<SessionRow | null> {
  const result = await db.query<SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
      WHERE t.tenant_id = $1 AND t.token_hash = $2 AND t.revoked_at IS NULL AND t.rotated_at IS NULL
        AND t.expires_at > now() AND t.client_id IS NULL AND ${LIVE}`,
    [tenantId, tokenHash],
  );
  return result.rows[0] ?? null;
}

/**
 * Turns the OAuth session a code exchange just started into an offline grant (offline_access): detached
 * from the browser session (logging that out leaves it alone), with a lifetime of its own, and its first
 * refresh token reaching as far. False when the session ended in the meantime.
 */
export async function startOfflineGrant(
  db: Queryable,
  tenantId: string,
  sessionId: string,
  lifetime: { ttlMs: number; refreshTtlMs: number },
): Promise<boolean> {
  const result = await db.query(
    `WITH s AS (
       UPDATE sessions SET offline = true, parent_id = NULL, expires_at = now() + ${ms(lifetime.ttlMs)},
              idle_expires_at = now() + LEAST(${ms(lifetime.ttlMs)}, ${ms(lifetime.refreshTtlMs)})
        WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL
        RETURNING id, expires_at
     )
     UPDATE refresh_tokens t SET expires_at = LEAST(s.expires_at, t.created_at + ${ms(lifetime.refreshTtlMs)})
       FROM s WHERE t.session_id = s.id AND t.revoked_at IS NULL AND t.rotated_at IS NULL
     RETURNING t.session_id`,
    [tenantId, sessionId],
  );
  return result.rowCount > 0;
}

/**
 * Revokes sessions (and their refresh tokens). Returns the ids revoked. `keepSessionId`: all but that
 * browser session and the OAuth sessions started from it ("sign out everywhere else").
 */
export async function revokeSessions(
  db: Queryable,
  tenantId: string,
  where: { sessionId?: string; userId?: string; keepSessionId?: string },
  reason: string,
): Promise<string[]> {
  const result = await db.query<{ id: string }>(
    `WITH s AS (
       UPDATE sessions SET revoked_at = now(), revoke_reason = $4
        WHERE tenant_id = $1 AND revoked_at IS NULL
          -- A browser session takes the OAuth sessions started from it (parent_id) along.
          AND ($2::uuid IS NULL OR id = $2::uuid OR parent_id = $2::uuid)
          AND ($3::uuid IS NULL OR user_id = $3::uuid)
          AND ($5::uuid IS NULL OR (id <> $5::uuid AND parent_id IS DISTINCT FROM $5::uuid))
        RETURNING id
     ), t AS (
       UPDATE refresh_tokens SET revoked_at = now()
        WHERE session_id IN (SELECT id FROM s) AND revoked_at IS NULL
     ), u AS (
       -- Every session of the user at once: what was trusted on their behalf before now ends too.
       UPDATE users SET sessions_revoked_at = now()
        WHERE $2::uuid IS NULL AND $3::uuid IS NOT NULL AND tenant_id = $1 AND id = $3::uuid
     )
     SELECT id FROM s`,
    [tenantId, where.sessionId ?? null, where.userId ?? null, reason, where.keepSessionId ?? null],
  );
  return result.rows.map((r) => r.id);
}

/** A session as the account API lists it: with the OAuth client it was issued to, and whether offline. */
export interface ListedSessionRow extends SessionRow {
  client_id: string | null;
  offline: boolean;
}

export async function listLiveSessions(
  db: Queryable,
  tenantId: string,
  userId: string,
): Promise<ListedSessionRow[]> {
  const result = await db.query<ListedSessionRow>(
    `SELECT ${SESSION_COLUMNS}, s.client_id, s.offline FROM sessions s
      WHERE s.tenant_id = $1 AND s.user_id = $2 AND ${LIVE}
      ORDER BY s.last_seen_at DESC`,
    [tenantId, userId],
  );
  return result.rows;
}

export interface SessionWithUser extends SessionRow {
  email: string;
  email_verified: boolean;
  name: string | null;
  user_created_at: Date;
  last_login_at: Date | null;
  /** Whether the user has a password (an account made by a provider, a passkey or a link may not). */
  has_password: boolean;
}

const USER_COLUMNS = `u.email, u.email_verified, u.name, u.created_at AS user_created_at, ${lastLoginSql('u')} AS last_login_at,
  u.password_hash IS NOT NULL AS has_password`;
/** The session columns, with the deadlines as extended by a `touched` CTE in the same statement. */
const TOUCHED_SESSION_COLUMNS = SESSION_COLUMNS.replace(
  's.last_seen_at',
  'COALESCE(t.last_seen_at, s.last_seen_at) AS last_seen_at',
).replace('s.idle_expires_at', 'COALESCE(t.idle_expires_at, s.idle_expires_at) AS idle_expires_at');

/** A live session with its user, by id (bearer tokens carry the session id). */
export async function findLiveSession(
  db: Queryable,
  tenantId: string,
  sessionId: string,
  userId: string,
): Promise<SessionWithUser | null> {
  const result = await db.query<SessionWithUser>(
    `SELECT ${SESSION_COLUMNS}, ${USER_COLUMNS}
       FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
      WHERE s.tenant_id = $1 AND s.id = $2 AND s.user_id = $3 AND ${LIVE} AND NOT u.blocked`,
    [tenantId, sessionId, userId],
  );
  return result.rows[0] ?? null;
}

/**
 * A live browser session by cookie hash, with its user. Extends the idle deadline at most once a minute
 * (in the same statement), so a busy session costs a write only occasionally. The row returned carries
 * the extended deadline, so a cache holding it knows when the next extension is due.
 */
export async function findBrowserSession(
  db: Queryable,
  tenantId: string,
  cookieHash: Buffer,
  idleTtlMs: number,
): Promise<SessionWithUser | null> {
  const result = await db.query<SessionWithUser>(
    `WITH touched AS (
       UPDATE sessions s SET last_seen_at = now(), idle_expires_at = LEAST(s.expires_at, now() + ${ms(idleTtlMs)})
        WHERE s.cookie_hash = $2 AND s.tenant_id = $1 AND ${LIVE} AND s.last_seen_at < now() - interval '1 minute'
        RETURNING s.id, s.last_seen_at, s.idle_expires_at
     )
     SELECT ${TOUCHED_SESSION_COLUMNS}, ${USER_COLUMNS}
       FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
       LEFT JOIN touched t ON t.id = s.id
      WHERE s.cookie_hash = $2 AND s.tenant_id = $1 AND s.kind = 'browser' AND ${LIVE} AND NOT u.blocked`,
    [tenantId, cookieHash],
  );
  return result.rows[0] ?? null;
}
