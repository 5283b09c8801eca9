// User administration: the rules behind the admin API's users and the `hellojohn users` commands. Every
// change names its tenant (a user of another tenant is `not_found`), is audited with the actor (admin_id,
// via) and never with what was typed into a credential field, and tells every instance's session caches.
import { auditEvents } from '../../audit/events.js';
import { accountKeys, parseEmailAddress } from '../../auth/email-address.js';
import { WeakPasswordError } from '../../auth/password-policy.js';
import { publicSession, type PublicSession, type RequestMeta } from '../../auth/public.js';
import { cleanName, type AdminActor } from '../../auth/registration.js';
import { insertAuditEvent, type AuditEventType } from '../../db/repositories/audit.js';
import { revokeSessions, listLiveSessions } from '../../db/repositories/sessions.js';
import { findUserById, updatePasswordHash } from '../../db/repositories/users.js';
import { decodeListCursor, encodeListCursor } from '../../admin/list-cursor.js';
import { HelloJohnError } from '../../errors.js';
import { hasControlOrBidi } from '../../text-rules.js';
import { isE164PhoneNumber } from '../../infra/sms/index.js';
import type { CoreServices } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { usersAdminEvents } from './events.js';
import {
  deleteConsent,
  deleteUser,
  exportCoreData,
  findAdminUser,
  listConsents,
  listUsers,
  lockUser,
  setBlocked,
  updateUser,
  type AdminUserRow,
  type ConsentRow,
  type UserChanges,
  type UserListFilter,
} from './repository.js';

export type UsersAdminDeps = Pick<
  CoreServices,
  | 'db'
  | 'registration'
  | 'hasher'
  | 'passwordChecker'
  | 'sessionAccess'
  | 'userExports'
  | 'emailChanged'
  | 'userRoles'
>;

/** The standard OIDC claims an operator sets (OIDC Core §5.1), kept in users.profile. */
export const PROFILE_CLAIMS = [
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
  'phone_number_verified',
  'address',
] as const;
export type ProfileClaim = (typeof PROFILE_CLAIMS)[number];

/** What an operator may set on a user (create and update); null removes a claim. */
export interface UserFields {
  email?: string;
  email_verified?: boolean;
  name?: string | null;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  claims?: Partial<Record<ProfileClaim, unknown>>;
}

export interface ListQuery extends Omit<UserListFilter, 'role'> {
  /** Only the holders of this role (a build without roles refuses it). */
  role?: string;
  cursor?: string;
  limit?: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
/** app_metadata and user_metadata, each, serialised. */
export const MAX_METADATA_BYTES = 16_384;

export class UsersDirectory {
  constructor(private readonly deps: UsersAdminDeps) {}

  async create(
    tenant: Tenant,
    input: UserFields & { email: string; password?: string | null },
    actor: AdminActor,
  ): Promise<AdminUserRow> {
    const profile = await applyClaims({}, input.claims ?? {});
    const appMetadata = checkMetadata(input.app_metadata, 'app_metadata');
    const userMetadata = checkMetadata(input.user_metadata, 'user_metadata');
    const user = await this.deps.registration.registerByAdmin(
      tenant,
      {
        email: input.email,
        password: input.password,
        name: input.name,
        emailVerified: input.email_verified === true,
        profile,
      },
      actor,
      async (tx, row) => {
        if (appMetadata || userMetadata)
          await updateUser(tx, tenant.id, row.id, { appMetadata, userMetadata });
      },
    );
    return (await findAdminUser(this.deps.db, tenant.id, user.id))!;
  }

  /** A page of users, newest first; `next_cursor` is null on the last page. */
  async list(
    tenant: Tenant,
    query: ListQuery,
  ): Promise<{ users: AdminUserRow[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new HelloJohnError('invalid_request', `limit must be between 1 and ${MAX_LIMIT}.`);
    const after = query.cursor === undefined ? null : decodeListCursor(query.cursor);
    const filter: UserListFilter = {
      emailPrefix: query.emailPrefix?.normalize('NFC').trim().toLowerCase() || undefined,
      createdAfter: query.createdAfter,
      createdBefore: query.createdBefore,
      blocked: query.blocked,
      verified: query.verified,
      role: query.role === undefined ? undefined : this.roleFilter(query.role),
    };
    const rows = await listUsers(this.deps.db, tenant.id, filter, after, limit + 1);
    const users = rows.slice(0, limit);
    const last = users.at(-1);
    return { users, nextCursor: rows.length > limit && last ? encodeListCursor(last) : null };
  }

  private roleFilter(name: string): UserListFilter['role'] {
    // Read now, not in the constructor: the roles provider is known once every module is set up.
    const roles = this.deps.userRoles;
    if (!roles)
      throw new HelloJohnError(
        'invalid_request',
        'role: this server has no roles (no module provides them).',
      );
    return { name, condition: roles.userHasRole };
  }

  async get(tenant: Tenant, id: string): Promise<AdminUserRow> {
    const user = await findAdminUser(this.deps.db, tenant.id, id);
    if (!user) throw notFound();
    return user;
  }

  /**
   * Changes the fields given (a partial update). A new email is unverified unless `email_verified: true`
   * comes with it; unverified, every module's emailChanged hook runs (the verification link to the new
   * address). Audited with the names of the fields changed, not their values.
   */
  async update(tenant: Tenant, id: string, input: UserFields, actor: AdminActor): Promise<AdminUserRow> {
    const appMetadata = checkMetadata(input.app_metadata, 'app_metadata');
    const userMetadata = checkMetadata(input.user_metadata, 'user_metadata');
    const name = input.name === undefined ? undefined : cleanName(input.name);
    const address = input.email === undefined ? undefined : parseEmailAddress(input.email);
    if (address && !address.ok) throw new HelloJohnError('invalid_request', address.reason);
    const { db } = this.deps;
    const afterCommit = await db.transaction(async (tx) => {
      const current = await lockUser(tx, tenant.id, id);
      if (!current) throw notFound();
      const changes: UserChanges = { name, appMetadata, userMetadata };
      let emailChanged = false;
      if (address?.ok && address.display !== current.email) {
        emailChanged = true;
        changes.email = {
          display: address.display,
          normalized: address.normalized,
          verified: input.email_verified === true,
        };
        // Another spelling of a taken address (accountKeys) is taken too.
        const others = accountKeys(address.display).filter((key) => key !== address.normalized);
        if (others.length > 0) {
          const taken = await tx.query(
            'SELECT 1 FROM users WHERE tenant_id = $1 AND id <> $2 AND email_normalized = ANY($3::text[])',
            [tenant.id, id, others],
          );
          if (taken.rowCount > 0) throw emailTaken();
        }
      } else if (input.email_verified !== undefined) changes.emailVerified = input.email_verified;
      if (input.claims && Object.keys(input.claims).length > 0)
        changes.profile = await applyClaims(current.profile, input.claims);
      if (!(await updateUser(tx, tenant.id, id, changes))) throw emailTaken();
      const fields = Object.keys(input).flatMap((key) =>
        key === 'claims' ? Object.keys(input.claims ?? {}) : [key],
      );
      await this.audit(tx, tenant, id, usersAdminEvents.updated, actor, { fields: fields.sort() });
      const then: (() => void)[] = [];
      if (emailChanged && input.email_verified !== true) {
        const row = (await findUserById(tx, tenant.id, id))!;
        for (const hook of this.deps.emailChanged) {
          const after = await hook(tx, tenant, row);
          if (after) then.push(after);
        }
      }
      return then;
    });
    for (const then of afterCommit) then();
    // Cached sessions carry the address and its verification.
    await this.deps.sessionAccess.invalidateUser(tenant.id, id);
    return this.get(tenant, id);
  }

  /** Blocks the user: no sign-in, no token refresh, every session ended at once. */
  async block(tenant: Tenant, id: string, actor: AdminActor): Promise<AdminUserRow> {
    const revoked = await this.deps.db.transaction(async (tx) => {
      if (!(await setBlocked(tx, tenant.id, id, true))) throw notFound();
      const revoked = await revokeSessions(tx, tenant.id, { userId: id }, 'blocked');
      await this.audit(tx, tenant, id, usersAdminEvents.blocked, actor, { sessions_revoked: revoked.length });
      return revoked;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, revoked);
    await this.deps.sessionAccess.invalidateUser(tenant.id, id);
    return this.get(tenant, id);
  }

  async unblock(tenant: Tenant, id: string, actor: AdminActor): Promise<AdminUserRow> {
    await this.deps.db.transaction(async (tx) => {
      if (!(await setBlocked(tx, tenant.id, id, false))) throw notFound();
      await this.audit(tx, tenant, id, usersAdminEvents.unblocked, actor);
    });
    await this.deps.sessionAccess.invalidateUser(tenant.id, id);
    return this.get(tenant, id);
  }

  /** Deletes the user and every row of theirs (the audit trail stays, with this deletion in it). */
  async remove(tenant: Tenant, id: string, actor: AdminActor): Promise<void> {
    const sessions = await this.deps.db.transaction(async (tx) => {
      const sessions = await deleteUser(tx, tenant.id, id);
      if (!sessions) throw notFound();
      await this.audit(tx, tenant, id, usersAdminEvents.deleted, actor);
      return sessions;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, sessions);
    await this.deps.sessionAccess.invalidateUser(tenant.id, id);
  }

  /**
   * Sets the user's password (the tenant's policy, breached check included; Argon2id). `signOut` ends
   * every session of the user too. The audit event never holds the password.
   */
  async setPassword(
    tenant: Tenant,
    id: string,
    password: string,
    signOut: boolean,
    actor: AdminActor,
  ): Promise<{ sessionsRevoked: number }> {
    const user = await this.get(tenant, id);
    const violations = await this.deps.passwordChecker.check(
      password,
      this.deps.registration.passwordPolicy(tenant),
      {
        email: user.email.toLowerCase(),
        name: user.name ?? undefined,
      },
    );
    if (violations.length > 0) throw new WeakPasswordError(violations);
    const hash = await this.deps.hasher.hash(password);
    const revoked = await this.deps.db.transaction(async (tx) => {
      if (!(await lockUser(tx, tenant.id, id))) throw notFound();
      await updatePasswordHash(tx, tenant.id, id, hash);
      const revoked = signOut ? await revokeSessions(tx, tenant.id, { userId: id }, 'password_set') : [];
      await this.audit(tx, tenant, id, usersAdminEvents.passwordSet, actor, {
        sessions_revoked: revoked.length,
      });
      return revoked;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, revoked);
    return { sessionsRevoked: revoked.length };
  }

  /** Signs the user out everywhere: every session and its refresh tokens. */
  async logout(tenant: Tenant, id: string, actor: AdminActor): Promise<{ sessionsRevoked: number }> {
    const revoked = await this.deps.db.transaction(async (tx) => {
      if (!(await lockUser(tx, tenant.id, id))) throw notFound();
      const revoked = await revokeSessions(tx, tenant.id, { userId: id }, 'admin_logout');
      await this.audit(tx, tenant, id, auditEvents.userLogoutAll, actor, {
        sessions_revoked: revoked.length,
      });
      return revoked;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, revoked);
    return { sessionsRevoked: revoked.length };
  }

  async sessions(tenant: Tenant, id: string): Promise<PublicSession[]> {
    await this.get(tenant, id);
    return (await listLiveSessions(this.deps.db, tenant.id, id)).map((row) => publicSession(row));
  }

  async revokeSession(tenant: Tenant, id: string, sessionId: string, actor: AdminActor): Promise<void> {
    await this.get(tenant, id);
    const revoked = await this.deps.db.transaction(async (tx) => {
      const revoked = await revokeSessions(tx, tenant.id, { userId: id, sessionId }, 'revoked_by_admin');
      if (revoked.length === 0) throw new HelloJohnError('not_found', 'No such live session of this user.');
      await this.audit(tx, tenant, id, auditEvents.sessionRevoked, actor, { session_id: sessionId });
      return revoked;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, revoked);
  }

  async consents(tenant: Tenant, id: string): Promise<ConsentRow[]> {
    await this.get(tenant, id);
    return listConsents(this.deps.db, tenant.id, id);
  }

  /** Withdraws the user's consent to a client, and ends the user's sessions of that client. */
  async revokeConsent(tenant: Tenant, id: string, clientId: string, actor: AdminActor): Promise<void> {
    await this.get(tenant, id);
    const revoked = await this.deps.db.transaction(async (tx) => {
      const revoked = await deleteConsent(tx, tenant.id, id, clientId);
      if (!revoked) throw new HelloJohnError('not_found', 'This user has not consented to this client.');
      await this.audit(tx, tenant, id, usersAdminEvents.consentRevoked, actor, {
        client_id: clientId,
        sessions_revoked: revoked.length,
      });
      return revoked;
    });
    await this.deps.sessionAccess.invalidateSessions(tenant.id, revoked);
  }

  /**
   * Everything about the user (GDPR Art. 15 and 20), as JSON: the account, its sessions, consents and
   * recent audit events, and each module's part (ModuleParts.userExport). Never a secret. Audited.
   */
  async export(tenant: Tenant, id: string, actor: AdminActor): Promise<Record<string, unknown>> {
    const user = await this.get(tenant, id);
    const core = await exportCoreData(this.deps.db, tenant.id, id);
    const modules: Record<string, unknown> = {};
    for (const part of this.deps.userExports)
      modules[part.module] = await part.export(this.deps.db, tenant, id);
    await this.audit(this.deps.db, tenant, id, usersAdminEvents.exported, actor);
    return {
      exported_at: new Date().toISOString(),
      tenant: { id: tenant.id, slug: tenant.slug },
      user: userJson(user),
      ...core,
      modules,
    };
  }

  private async audit(
    db: Parameters<typeof insertAuditEvent>[0],
    tenant: Tenant,
    userId: string,
    type: AuditEventType,
    actor: AdminActor,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    const meta: Partial<RequestMeta> = actor.meta ?? {};
    await insertAuditEvent(db, {
      tenantId: tenant.id,
      type,
      userId,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent ?? null,
      data: { via: actor.via, admin_id: actor.adminId ?? null, ...data },
    });
  }
}

/** A user as the admin API and the CLI show it: standard claims at the top level, like the input. */
export function userJson(user: AdminUserRow) {
  const claims: Record<string, unknown> = {};
  for (const claim of PROFILE_CLAIMS)
    if (user.profile[claim] !== undefined) claims[claim] = user.profile[claim];
  return {
    id: user.id,
    tenant_id: user.tenant_id,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
    ...claims,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    blocked: user.blocked,
    has_password: user.has_password,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
    last_login_at: user.last_login_at?.toISOString() ?? null,
  };
}

export function consentJson(row: ConsentRow) {
  return {
    client_id: row.client_id,
    client_name: row.client_name,
    scopes: row.scopes,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const notFound = () => new HelloJohnError('not_found', 'No such user in this tenant.');
const emailTaken = () =>
  new HelloJohnError('email_taken', 'An account with this email address already exists.');

function checkMetadata(value: Record<string, unknown> | undefined, field: string) {
  if (value !== undefined && Buffer.byteLength(JSON.stringify(value)) > MAX_METADATA_BYTES)
    throw new HelloJohnError('invalid_request', `${field} is larger than ${MAX_METADATA_BYTES} bytes.`);
  return value;
}

/**
 * The profile with `claims` applied (null removes one), each checked: a phone number must be a valid
 * number in E.164, a zoneinfo a time zone the runtime knows; the shapes are the route schema's.
 */
async function applyClaims(
  profile: Record<string, unknown>,
  claims: Partial<Record<ProfileClaim, unknown>>,
): Promise<Record<string, unknown>> {
  const next = { ...profile };
  // A new number is not verified unless the operator says so.
  if (
    claims.phone_number !== undefined &&
    claims.phone_number !== profile.phone_number &&
    claims.phone_number_verified === undefined
  )
    next.phone_number_verified = false;
  for (const [claim, value] of Object.entries(claims)) {
    if (value === null) {
      delete next[claim];
      continue;
    }
    if (claim === 'phone_number') {
      if (typeof value !== 'string' || !(await isE164PhoneNumber(value)))
        throw new HelloJohnError(
          'invalid_request',
          'phone_number must be a valid number in E.164 format, e.g. +14155550123.',
        );
    }
    if (claim === 'zoneinfo' && typeof value === 'string' && !validTimeZone(value))
      throw new HelloJohnError('invalid_request', 'zoneinfo must be an IANA time zone, e.g. Europe/Paris.');
    if (typeof value === 'string' && hasControlOrBidi(value))
      throw new HelloJohnError('invalid_request', `${claim} contains control or text-direction characters.`);
    next[claim] = value;
  }
  // A verified flag without its number means nothing.
  if (next.phone_number === undefined) delete next.phone_number_verified;
  return next;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
