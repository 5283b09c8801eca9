// The account page's rules: what the signed-in user sees of their account, and the changes they may make
// to it themselves (name, password, sessions). Every change is audited without what was typed.
import type { PasswordHasher } from '../../crypto/passwords.js';
import type { Database } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { listLiveSessions, revokeSessions, type SessionWithUser } from '../../db/repositories/sessions.js';
import { findUserById, updatePasswordHash, type UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { PasswordAuthenticator } from '../../auth/password-authenticator.js';
import { WeakPasswordError, type PasswordPolicyChecker } from '../../auth/password-policy.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { cleanName, type Registration } from '../../auth/registration.js';
import type { SessionAccess } from '../../auth/session-access.js';
import type { Tenant } from '../../tenants/tenants.js';
import { deviceOf } from './device.js';
import { accountEvents } from './events.js';
import { setFirstPasswordHash, updateUserName } from './repository.js';

export interface AccountDeps {
  db: Database;
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
  registration: Pick<Registration, 'passwordPolicy'>;
  passwordAuthenticator: Pick<PasswordAuthenticator, 'verify'>;
  sessionAccess: SessionAccess;
  recentSignIn: RecentSignIn;
}

/** One of the user's live sessions, as the page lists it. */
export interface AccountSession {
  id: string;
  /** "Chrome on macOS" (see device.ts). */
  device: string;
  ip: string | null;
  /** The OAuth client the session was issued to (null: a browser, or the first-party API). */
  clientId: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  /** The session of this browser. */
  current: boolean;
}

export interface AccountOverview {
  user: { id: string; email: string; emailVerified: boolean; name: string | null };
  /** False for accounts that sign in another way only: there is no password to change. */
  hasPassword: boolean;
  recentSignIn: boolean;
  sessions: AccountSession[];
}

export class Account {
  constructor(private readonly deps: AccountDeps) {}

  /** Everything the page shows of the account of `session` (this browser's session). */
  async overview(tenant: Tenant, session: SessionWithUser, now = new Date()): Promise<AccountOverview> {
    const rows = await listLiveSessions(this.deps.db, tenant.id, session.user_id);
    return {
      user: {
        id: session.user_id,
        email: session.email,
        emailVerified: session.email_verified,
        name: session.name,
      },
      hasPassword: session.has_password,
      recentSignIn: this.deps.recentSignIn.isRecentSignIn(session, now),
      // This browser first, then the most recently used.
      sessions: rows
        .map((row) => ({
          id: row.id,
          device: deviceOf(row.user_agent),
          ip: row.ip,
          clientId: row.client_id,
          createdAt: row.created_at,
          lastSeenAt: row.last_seen_at,
          current: row.id === session.id,
        }))
        .sort((a, b) => Number(b.current) - Number(a.current)),
    };
  }

  /** Sets the user's name (checked like registration's: no control or text-direction characters). */
  async updateName(tenant: Tenant, session: SessionWithUser, name: string, meta: RequestMeta): Promise<void> {
    const cleaned = cleanName(name);
    if (!(await updateUserName(this.deps.db, tenant.id, session.user_id, cleaned)))
      throw new HelloJohnError('not_found', 'No such account.');
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: accountEvents.profileUpdated,
      userId: session.user_id,
      ...auditMeta(meta),
      data: { fields: ['name'] },
    });
    // Cached sessions carry the name.
    await this.deps.sessionAccess.invalidateUser(tenant.id, session.user_id);
  }

  /**
   * A new password, when the sign-in is recent and the current password is right. The current password is
   * checked like a sign-in (the address's rate limit and the account's lockout count a wrong one), so this
   * form cannot be used to guess it. Every other session of the user ends; this browser's stays.
   *
   * An account without a password (a social or passkey sign-up) sets its first one the same way, without a
   * current password: the recent sign-in is the proof it is the user. Its other sessions stay (nothing
   * they knew changed). Answers which of the two it was.
   */
  async changePassword(
    tenant: Tenant,
    session: SessionWithUser,
    input: { currentPassword?: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<'changed' | 'set'> {
    const { db, sessionAccess } = this.deps;
    const user = await findUserById(db, tenant.id, session.user_id);
    if (!user) throw new HelloJohnError('not_found', 'No such account.');
    if (!user.password_hash) {
      this.deps.recentSignIn.require(session, 'set a password');
      const passwordHash = await this.newPasswordHash(tenant, user, input.newPassword);
      const set = await db.transaction(async (tx) => {
        // Only while there is none: two tabs setting one at once cannot both "set" it.
        if (!(await setFirstPasswordHash(tx, tenant.id, user.id, passwordHash))) return false;
        await insertAuditEvent(tx, {
          tenantId: tenant.id,
          type: accountEvents.passwordSet,
          userId: user.id,
          ...auditMeta(meta),
        });
        return true;
      });
      if (!set)
        throw new HelloJohnError('conflict', 'A password was just set for this account; change it instead.');
      await sessionAccess.invalidateUser(tenant.id, user.id);
      return 'set';
    }
    this.deps.recentSignIn.require(session, 'change your password');
    if (!input.currentPassword) throw new HelloJohnError('invalid_request', 'Enter your current password.');
    try {
      const verified = await this.deps.passwordAuthenticator.verify(
        tenant,
        { email: user.email, password: input.currentPassword },
        meta,
      );
      if (verified.user.id !== user.id) throw new HelloJohnError('invalid_credentials', 'Not this account.');
    } catch (error) {
      if (error instanceof HelloJohnError && error.code === 'invalid_credentials')
        throw new HelloJohnError('invalid_credentials', 'Your current password is not correct.');
      throw error;
    }
    const passwordHash = await this.newPasswordHash(tenant, user, input.newPassword);
    // The new password and the end of the other sessions are one change; caches hear of it once committed.
    const revoked = await db.transaction(async (tx) => {
      await updatePasswordHash(tx, tenant.id, user.id, passwordHash);
      const ids = await revokeSessions(
        tx,
        tenant.id,
        { userId: user.id, keepSessionId: session.id },
        'password_changed',
      );
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: accountEvents.passwordChanged,
        userId: user.id,
        ...auditMeta(meta),
        data: { sessions_revoked: ids.length },
      });
      return ids;
    });
    await sessionAccess.invalidateSessions(tenant.id, revoked);
    await sessionAccess.invalidateUser(tenant.id, user.id);
    return 'changed';
  }

  /** The Argon2id hash of a new password the tenant's policy accepts (weak_password otherwise). */
  private async newPasswordHash(tenant: Tenant, user: UserRow, password: string): Promise<string> {
    const violations = await this.deps.passwordChecker.check(
      password,
      this.deps.registration.passwordPolicy(tenant),
      { email: user.email, name: user.name ?? undefined },
    );
    if (violations.length > 0) throw new WeakPasswordError(violations);
    return this.deps.hasher.hash(password);
  }

  /** Ends one of the user's own sessions (not_found for any other id, another user's included). */
  async signOutSession(
    tenant: Tenant,
    session: SessionWithUser,
    sessionId: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.deps.sessionAccess.revokeOwn(tenant, session.user_id, sessionId.toLowerCase(), meta);
  }

  /** Ends every session of the user but this browser's (and the app sessions started from it). */
  async signOutOtherSessions(tenant: Tenant, session: SessionWithUser, meta: RequestMeta): Promise<number> {
    const revoked = await this.deps.sessionAccess.revokeSessions(
      tenant,
      { userId: session.user_id, keepSessionId: session.id },
      'revoked_by_user',
    );
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: accountEvents.otherSessionsRevoked,
      userId: session.user_id,
      ...auditMeta(meta),
      data: { sessions_revoked: revoked.length },
    });
    return revoked.length;
  }
}
