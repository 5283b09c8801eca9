import type { Queryable } from '../database.js';

export interface UserRow {
  id: string;
  tenant_id: string;
  /** For display (see src/auth/email-address.ts). */
  email: string;
  /** The account's key; mail goes here. */
  email_normalized: string;
  email_verified: boolean;
  password_hash: string | null;
  name: string | null;
  profile: Record<string, unknown>;
  blocked: boolean;
  created_at: Date;
  updated_at: Date;
  /** The last sign-in (lastLoginSql); null when the user never signed in. */
  last_login_at: Date | null;
  /** When every session of the user was last ended at once (trusted devices older than this are void). */
  sessions_revoked_at: Date | null;
}

/**
 * The user's last sign-in, for the users row `u`: the newest sign-in session (one a login started, not a
 * code exchange's OAuth session), or the column, which keeps the newest of the sign-in sessions deleted
 * since (migration 0024). A sign-in writes no row of its own for it.
 */
export function lastLoginSql(u: string): string {
  return `hellojohn_last_login_at(${u}.tenant_id, ${u}.id, ${u}.last_login_at)`;
}

/** The UserRow columns of the users row `u`. */
function columnsOf(u: string): string {
  return `${u}.id, ${u}.tenant_id, ${u}.email, ${u}.email_normalized, ${u}.email_verified, ${u}.password_hash,
  ${u}.name, ${u}.profile, ${u}.blocked, ${u}.created_at, ${u}.updated_at, ${lastLoginSql(u)} AS last_login_at,
  ${u}.sessions_revoked_at`;
}

const COLUMNS = columnsOf('users');

/**
 * Inserts a user; null when the (tenant, normalized email) pair is taken. Without a password (a social
 * sign-up) `password_changed_at` stays NULL; `emailVerified` when the sign-in method vouched for it.
 */
export async function insertUser(
  db: Queryable,
  user: {
    tenantId: string;
    email: string;
    emailNormalized: string;
    /** Other keys the same address may be stored under (accountKeys): taken too when one of them is. */
    otherKeys?: readonly string[];
    passwordHash: string | null;
    name: string | null;
    emailVerified?: boolean;
    profile?: Record<string, unknown>;
  },
): Promise<UserRow | null> {
  const result = await db.query<UserRow>(
    `INSERT INTO users (tenant_id, email, email_normalized, password_hash, name, password_changed_at,
                        email_verified, profile)
     SELECT $1, $2, $3, $4::text, $5, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END, $7, $8::jsonb
     WHERE NOT EXISTS (SELECT 1 FROM users WHERE tenant_id = $1 AND email_normalized = ANY($6::text[]))
     ON CONFLICT (tenant_id, email_normalized) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      user.tenantId,
      user.email,
      user.emailNormalized,
      user.passwordHash,
      user.name,
      user.otherKeys ?? [],
      user.emailVerified ?? false,
      JSON.stringify(user.profile ?? {}),
    ],
  );
  return result.rows[0] ?? null;
}

/** The account stored under the first of `keys` that has one (accountKeys: the normalised key first). */
export async function findUserByEmail(
  db: Queryable,
  tenantId: string,
  keys: readonly string[],
): Promise<UserRow | null> {
  if (keys.length === 0) return null;
  const result = await db.query<UserRow>(
    keys.length === 1
      ? `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND email_normalized = $2`
      : `SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND email_normalized = ANY($2::text[])
         ORDER BY array_position($2::text[], email_normalized) LIMIT 1`,
    [tenantId, keys.length === 1 ? keys[0] : keys],
  );
  return result.rows[0] ?? null;
}

const withFlagsStatements = new WeakMap<readonly string[], { oneKey: string; anyKey: string }>();

/** findUserByEmailWithFlags's statements for these flags (built once per list the caller keeps). */
function withFlagsSql(flags: readonly string[]): { oneKey: string; anyKey: string } {
  let sql = withFlagsStatements.get(flags);
  if (!sql) {
    // One character per flag ('1' or '0'): cheaper to read than a boolean[] column.
    const asked = flags.map((flag) => `coalesce(${flag}, false)::int`);
    const select = `SELECT ${columnsOf('u')},
      ${asked.length === 0 ? "''" : `concat(${asked.join(', ')})`} AS hellojohn_flags`;
    sql = {
      oneKey: `${select} FROM (SELECT) AS one LEFT JOIN users u ON u.tenant_id = $1 AND u.email_normalized = $2`,
      anyKey: `${select} FROM (SELECT) AS one LEFT JOIN LATERAL (
        SELECT * FROM users WHERE tenant_id = $1 AND email_normalized = ANY($2::text[])
         ORDER BY array_position($2::text[], email_normalized) LIMIT 1) u ON TRUE`,
    };
    withFlagsStatements.set(flags, sql);
  }
  return sql;
}

/**
 * findUserByEmail, and in the same statement `flags`: boolean SQL expressions it is given the tenant's id
 * and the user's id to put in (the login's second factors, EnrolledFactors). Always one row: with no
 * account, the flags are asked of a NULL user id (false), so the statement costs about the same whether
 * the account exists or not. `flags` should answer the same list for the same arguments (its statement
 * is kept by that list).
 */
export async function findUserByEmailWithFlags(
  db: Queryable,
  tenantId: string,
  keys: readonly string[],
  flags: (tenantId: string, userId: string) => readonly string[],
): Promise<{ user: UserRow | null; flags: boolean[] }> {
  if (keys.length === 0) return { user: null, flags: [] };
  const sql = withFlagsSql(flags('$1', 'u.id'));
  const result = await db.query<UserRow & { hellojohn_flags: string }>(
    keys.length === 1 ? sql.oneKey : sql.anyKey,
    [tenantId, keys.length === 1 ? keys[0] : keys],
  );
  const { hellojohn_flags: found, ...user } = result.rows[0]!;
  return user.id === null
    ? { user: null, flags: [] }
    : { user, flags: Array.from(found, (flag) => flag === '1') };
}

export async function findUserById(db: Queryable, tenantId: string, id: string): Promise<UserRow | null> {
  const result = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  return result.rows[0] ?? null;
}

export async function updatePasswordHash(
  db: Queryable,
  tenantId: string,
  id: string,
  hash: string,
): Promise<void> {
  await db.query(
    'UPDATE users SET password_hash = $3, password_changed_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, id, hash],
  );
}

/** Rehash after a parameter change: only if the stored hash is still the one that was verified. */
export async function replacePasswordHash(
  db: Queryable,
  tenantId: string,
  id: string,
  oldHash: string,
  newHash: string,
): Promise<void> {
  await db.query(
    'UPDATE users SET password_hash = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2 AND password_hash = $3',
    [tenantId, id, oldHash, newHash],
  );
}

export async function markEmailVerified(
  db: Queryable,
  tenantId: string,
  id: string,
  email: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE users SET email_verified = true, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND email = $3`,
    [tenantId, id, email],
  );
  return result.rowCount > 0;
}

/**
 * A users row as `to_jsonb(u)` returns it (timestamps as text), for statements that join a user in. Its
 * last_login_at is the stored column only, not lastLoginSql: do not show it as the last sign-in.
 */
export function userFromJson(json: Record<string, unknown>): UserRow {
  const date = (value: unknown) => (typeof value === 'string' ? new Date(value) : null);
  return {
    id: json.id as string,
    tenant_id: json.tenant_id as string,
    email: json.email as string,
    email_normalized: json.email_normalized as string,
    email_verified: json.email_verified === true,
    password_hash: (json.password_hash as string | null) ?? null,
    name: (json.name as string | null) ?? null,
    profile: (json.profile as Record<string, unknown> | null) ?? {},
    blocked: json.blocked === true,
    created_at: date(json.created_at)!,
    updated_at: date(json.updated_at)!,
    last_login_at: date(json.last_login_at),
    sessions_revoked_at: date(json.sessions_revoked_at),
  };
}
