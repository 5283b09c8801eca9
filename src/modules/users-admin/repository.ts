// The SQL of user administration. Every statement names the tenant: a user id of another tenant is no user.
import type { Queryable } from '../../db/database.js';
import { lastLoginSql } from '../../db/repositories/users.js';
import type { UserRoles } from '../../kernel/module.js';

/** A user as the admin API shows it: the row without its password hash, with its metadata. */
export interface AdminUserRow {
  id: string;
  tenant_id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  profile: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  blocked: boolean;
  has_password: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
  /** created_at to the microsecond, as text: the list's cursor (a Date keeps milliseconds only). */
  cursor_at: string;
}

const COLUMNS = `id, tenant_id, email, email_verified, name, profile, app_metadata, user_metadata, blocked,
  password_hash IS NOT NULL AS has_password, created_at, updated_at, ${lastLoginSql('users')} AS last_login_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

export interface UserListFilter {
  /** A prefix of the normalised address (lower case). */
  emailPrefix?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  blocked?: boolean;
  verified?: boolean;
  /** Only holders of the role `name`; `condition` is the roles provider's (UserRoles.userHasRole). */
  role?: { name: string; condition: UserRoles['userHasRole'] };
}

/** One page, newest first, after the keyset position `after` (exclusive); `limit` rows at most. */
export async function listUsers(
  db: Queryable,
  tenantId: string,
  filter: UserListFilter,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<AdminUserRow[]> {
  const like = filter.emailPrefix === undefined ? null : `${filter.emailPrefix.replace(/[\\%_]/g, '\\$&')}%`;
  const result = await db.query<AdminUserRow>(
    `SELECT ${COLUMNS} FROM users
      WHERE tenant_id = $1
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        AND ($4::text IS NULL OR email_normalized LIKE $4::text)
        AND ($5::timestamptz IS NULL OR created_at >= $5::timestamptz)
        AND ($6::timestamptz IS NULL OR created_at < $6::timestamptz)
        AND ($7::boolean IS NULL OR blocked = $7::boolean)
        AND ($8::boolean IS NULL OR email_verified = $8::boolean)
        ${filter.role ? `AND ${filter.role.condition('users', 1, 10)}` : ''}
      ORDER BY created_at DESC, id DESC
      LIMIT $9`,
    [
      tenantId,
      after?.createdAt ?? null,
      after?.id ?? null,
      like,
      filter.createdAfter ?? null,
      filter.createdBefore ?? null,
      filter.blocked ?? null,
      filter.verified ?? null,
      limit,
      ...(filter.role ? [filter.role.name] : []),
    ],
  );
  return result.rows;
}

export async function findAdminUser(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<AdminUserRow | null> {
  const result = await db.query<AdminUserRow>(
    `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return result.rows[0] ?? null;
}

/** Locks the user's row for a change in this transaction; null when there is none in the tenant. */
export async function lockUser(
  db: Queryable,
  tenantId: string,
  id: string,
): Promise<{ email: string; email_normalized: string; profile: Record<string, unknown> } | null> {
  const result = await db.query<{
    email: string;
    email_normalized: string;
    profile: Record<string, unknown>;
  }>('SELECT email, email_normalized, profile FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [
    tenantId,
    id,
  ]);
  return result.rows[0] ?? null;
}

export interface UserChanges {
  email?: { display: string; normalized: string; verified: boolean };
  emailVerified?: boolean;
  name?: string | null;
  /** The whole new profile (standard claims). */
  profile?: Record<string, unknown>;
  /** Merged one level deep; members set to null are removed. */
  appMetadata?: Record<string, unknown>;
  userMetadata?: Record<string, unknown>;
}

/** Applies `changes`; false when the new address is taken by another account of the tenant. */
export async function updateUser(
  db: Queryable,
  tenantId: string,
  id: string,
  changes: UserChanges,
): Promise<boolean> {
  const sets: string[] = ['updated_at = now()'];
  const values: unknown[] = [tenantId, id];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    sets.push(sql(`$${values.length}`));
  };
  if (changes.email) {
    add((n) => `email = ${n}`, changes.email.display);
    add((n) => `email_normalized = ${n}`, changes.email.normalized);
    add((n) => `email_verified = ${n}`, changes.email.verified);
  } else if (changes.emailVerified !== undefined) add((n) => `email_verified = ${n}`, changes.emailVerified);
  if (changes.name !== undefined) add((n) => `name = ${n}`, changes.name);
  if (changes.profile !== undefined) add((n) => `profile = ${n}::jsonb`, JSON.stringify(changes.profile));
  if (changes.appMetadata !== undefined)
    add(
      (n) => `app_metadata = jsonb_strip_nulls(app_metadata || ${n}::jsonb)`,
      JSON.stringify(changes.appMetadata),
    );
  if (changes.userMetadata !== undefined)
    add(
      (n) => `user_metadata = jsonb_strip_nulls(user_metadata || ${n}::jsonb)`,
      JSON.stringify(changes.userMetadata),
    );
  if (changes.email) {
    const taken = await db.query(
      'SELECT 1 FROM users WHERE tenant_id = $1 AND id <> $2 AND email_normalized = $3 FOR UPDATE',
      [tenantId, id, changes.email.normalized],
    );
    if (taken.rowCount > 0) return false;
  }
  await db.query(`UPDATE users SET ${sets.join(', ')} WHERE tenant_id = $1 AND id = $2`, values);
  return true;
}

/** Sets the blocked flag; false when the user is not in the tenant. */
export async function setBlocked(
  db: Queryable,
  tenantId: string,
  id: string,
  blocked: boolean,
): Promise<boolean> {
  const result = await db.query(
    'UPDATE users SET blocked = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, blocked],
  );
  return result.rowCount > 0;
}

/**
 * Deletes the user: every row of theirs goes with it (each table holding a user_id references users ON
 * DELETE CASCADE; refresh tokens go with their sessions); the audit trail stays. Returns the ids of the
 * sessions that were live, for the caches, or null when the user is not in the tenant.
 */
export async function deleteUser(db: Queryable, tenantId: string, id: string): Promise<string[] | null> {
  const sessions = await db.query<{ id: string }>(
    'SELECT id FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL',
    [tenantId, id],
  );
  const result = await db.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return result.rowCount > 0 ? sessions.rows.map((r) => r.id) : null;
}

export interface ConsentRow {
  client_id: string;
  client_name: string | null;
  scopes: string[];
  created_at: Date;
  updated_at: Date;
}

export async function listConsents(db: Queryable, tenantId: string, userId: string): Promise<ConsentRow[]> {
  const result = await db.query<ConsentRow>(
    `SELECT c.client_id, cl.name AS client_name, c.scopes, c.created_at, c.updated_at
       FROM consents c LEFT JOIN clients cl ON cl.tenant_id = c.tenant_id AND cl.client_id = c.client_id
      WHERE c.tenant_id = $1 AND c.user_id = $2 ORDER BY c.client_id`,
    [tenantId, userId],
  );
  return result.rows;
}

/**
 * Withdraws a consent and ends what it granted: the user's sessions of that client (and their refresh
 * tokens). Returns the ids of the sessions ended, or null when there was no such consent.
 */
export async function deleteConsent(
  db: Queryable,
  tenantId: string,
  userId: string,
  clientId: string,
): Promise<string[] | null> {
  const deleted = await db.query(
    'DELETE FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3',
    [tenantId, userId, clientId],
  );
  if (deleted.rowCount === 0) return null;
  const result = await db.query<{ id: string }>(
    `WITH s AS (
       UPDATE sessions SET revoked_at = now(), revoke_reason = 'consent_revoked'
        WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3 AND revoked_at IS NULL
        RETURNING id
     ), t AS (
       UPDATE refresh_tokens SET revoked_at = now() WHERE session_id IN (SELECT id FROM s) AND revoked_at IS NULL
     )
     SELECT id FROM s`,
    [tenantId, userId, clientId],
  );
  return result.rows.map((r) => r.id);
}

/** The core's rows about a user for a data export: never a hash of a password, cookie or token. */
export async function exportCoreData(db: Queryable, tenantId: string, userId: string) {
  const [sessions, consents, events] = await Promise.all([
    db.query(
      `SELECT id, kind, client_id, offline, amr, auth_time, ip, user_agent, created_at, last_seen_at, expires_at,
              revoked_at, revoke_reason
         FROM sessions WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at`,
      [tenantId, userId],
    ),
    listConsents(db, tenantId, userId),
    db.query(
      `SELECT type, ip, user_agent, data, created_at FROM audit_events
        WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1000`,
      [tenantId, userId],
    ),
  ]);
  return { sessions: sessions.rows, consents, events: events.rows };
}
