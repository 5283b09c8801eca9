// Forgotten passwords: a link mailed on request (the answer never tells whether the account exists),
// and a new password set through it, ending every session and any lockout of the account.
import type { Config } from '../../config.js';
import type { PasswordHasher } from '../../crypto/passwords.js';
import type { Database } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { revokeSessions } from '../../db/repositories/sessions.js';
import { findUserByEmail, markEmailVerified, updatePasswordHash } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import { accountKeys, normalizedEmail } from '../../auth/email-address.js';
import { WeakPasswordError, type PasswordPolicyChecker } from '../../auth/password-policy.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { Registration } from '../../auth/registration.js';
import type { SessionAccess } from '../../auth/session-access.js';
import { invalidEmailLink, type EmailLinkKind, type EmailLinks } from '../../mail/email-links.js';
import { passwordResetEmail } from '../../mail/templates.js';
import type { LoginLockout } from '../../security/rate-limit.js';
import type { RequestLimits } from '../../security/request-limits.js';
import type { Tenant } from '../../tenants/tenants.js';
import { resetEvents } from './events.js';

export interface PasswordResetDeps {
  db: Database;
  auth: Pick<Config['auth'], 'resetPasswordTtlMs'>;
  emailLinks: EmailLinks;
  limits: RequestLimits;
  lockout: LoginLockout;
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
  registration: Pick<Registration, 'passwordPolicy'>;
  sessionAccess: SessionAccess;
}

export class PasswordReset {
  private readonly link: EmailLinkKind;

  constructor(private readonly deps: PasswordResetDeps) {
    this.link = {
      purpose: 'reset_password',
      ttlMs: deps.auth.resetPasswordTtlMs,
      path: '/reset-password',
      render: passwordResetEmail,
    };
  }

  /**
   * Always succeeds from the caller's point of view; sends a reset link when the account exists. Only the
   * rate limits run before the answer: the lookup, the audit event and the token are prepared after it,
   * so not even the answer's timing tells whether the account exists.
   */
  async forgot(tenant: Tenant, email: string, meta: RequestMeta): Promise<void> {
    const { db, limits } = this.deps;
    await limits.checkIp('forgot', meta.ip);
    const keys = accountKeys(email);
    if (keys.length === 0) return;
    await limits.checkAccount('forgot', `${tenant.id}:${normalizedEmail(email) ?? 'refused-address'}`);
    this.deps.emailLinks.sendAfterAnswer(
      tenant,
      this.link,
      async () => {
        const user = await findUserByEmail(db, tenant.id, keys);
        return user && !user.blocked ? user : null;
      },
      (user) =>
        insertAuditEvent(db, {
          tenantId: tenant.id,
          type: resetEvents.requested,
          userId: user.id,
          ...auditMeta(meta),
        }),
    );
  }

  /** Whether a reset link still works, without spending it: the page says so when it is opened. */
  async linkLive(tenant: Tenant, token: unknown): Promise<boolean> {
    try {
      await this.deps.emailLinks.userOfLiveLink(tenant, 'reset_password', token);
      return true;
    } catch (error) {
      if (error instanceof HelloJohnError && error.code === 'invalid_grant') return false;
      throw error;
    }
  }

  async reset(tenant: Tenant, token: unknown, password: string, meta: RequestMeta): Promise<void> {
    const { db, sessionAccess } = this.deps;
    // Check the password before spending the token, so a weak choice does not burn the link.
    const user = await this.deps.emailLinks.userOfLiveLink(tenant, 'reset_password', token);
    const violations = await this.deps.passwordChecker.check(
      password,
      this.deps.registration.passwordPolicy(tenant),
      { email: user.email, name: user.name ?? undefined },
    );
    if (violations.length > 0) throw new WeakPasswordError(violations);
    const passwordHash = await this.deps.hasher.hash(password);
    // Revoked inside the transaction, so the new password and the end of the old sessions are one change;
    // caches are told once it is committed (earlier, another instance could re-read the old state).
    const revoked = await db.transaction(async (tx) => {
      const consumed = await this.deps.emailLinks.consume(tx, tenant, 'reset_password', token);
      if (consumed.user_id !== user.id) throw invalidEmailLink();
      await updatePasswordHash(tx, tenant.id, user.id, passwordHash);
      // Whoever could read the inbox has proven control of the address.
      await markEmailVerified(tx, tenant.id, user.id, consumed.email);
      const ids = await revokeSessions(tx, tenant.id, { userId: user.id }, 'password_reset');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: resetEvents.reset,
        userId: user.id,
        ...auditMeta(meta),
      });
      return ids;
    });
    await sessionAccess.invalidateSessions(tenant.id, revoked);
    await sessionAccess.invalidateUser(tenant.id, user.id);
    // The owner proved control of the mailbox: a lock someone else's guessing put on the account ends.
    await this.deps.lockout.release(`${tenant.id}:${user.email_normalized}`);
  }
}
