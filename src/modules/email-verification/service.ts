// Proving an address: a link mailed at registration and on request, spent when opened.
import type { Config } from '../../config.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import {
  markEmailVerified,
  findUserByEmail,
  findUserById,
  type UserRow,
} from '../../db/repositories/users.js';
import { accountKeys, normalizedEmail } from '../../auth/email-address.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { SessionAccess } from '../../auth/session-access.js';
import { invalidEmailLink, type EmailLinkKind, type EmailLinks } from '../../mail/email-links.js';
import { verificationEmail } from '../../mail/templates.js';
import type { RequestLimits } from '../../security/request-limits.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { AccessTokenClaims } from '../../tokens/access-tokens.js';
import { verificationEvents } from './events.js';

export interface EmailVerificationDeps {
  db: Database;
  auth: Pick<Config['auth'], 'verifyEmailTtlMs'>;
  emailLinks: EmailLinks;
  limits: RequestLimits;
  sessionAccess: SessionAccess;
}

export class EmailVerification {
  private readonly link: EmailLinkKind;

  constructor(private readonly deps: EmailVerificationDeps) {
    this.link = {
      purpose: 'verify_email',
      ttlMs: deps.auth.verifyEmailTtlMs,
      path: '/v2/auth/verify-email',
      render: verificationEmail,
    };
  }

  /**
   * The registration hook: the first link goes out with the new account (after its transaction commits).
   * None for an account whose address is verified already (a social sign-up: the provider verified it).
   */
  async onRegistered(tx: Queryable, tenant: Tenant, user: UserRow): Promise<(() => void) | void> {
    if (user.email_verified) return;
    const message = await this.deps.emailLinks.message(tx, tenant, user, this.link);
    return () => this.deps.emailLinks.send(message);
  }

  /**
   * Sends a fresh link to the bearer's address, or to an address given by email (like forgot: rate
   * limits before the answer, everything that depends on the account after it).
   */
  async send(
    tenant: Tenant,
    target: { bearer?: AccessTokenClaims; email?: string },
    meta: RequestMeta,
  ): Promise<void> {
    const { db, limits } = this.deps;
    await limits.checkIp('forgot', meta.ip);
    let find: () => Promise<UserRow | null>;
    const keys = target.bearer ? [] : accountKeys(target.email);
    if (target.bearer) {
      const userId = target.bearer.sub;
      find = () => findUserById(db, tenant.id, userId);
    } else if (keys.length > 0) {
      const limitKey = normalizedEmail(target.email) ?? 'refused-address';
      await limits.checkAccount('forgot', `${tenant.id}:${limitKey}`);
      find = () => findUserByEmail(db, tenant.id, keys);
    } else {
      return;
    }
    this.deps.emailLinks.sendAfterAnswer(
      tenant,
      this.link,
      async () => {
        const user = await find();
        return user && !user.email_verified && !user.blocked ? user : null;
      },
      (user) =>
        insertAuditEvent(db, {
          tenantId: tenant.id,
          type: verificationEvents.requested,
          userId: user.id,
          ...auditMeta(meta),
        }),
    );
  }

  async verify(tenant: Tenant, token: unknown, meta: RequestMeta): Promise<void> {
    const userId = await this.deps.db.transaction(async (tx) => {
      const consumed = await this.deps.emailLinks.consume(tx, tenant, 'verify_email', token);
      // A link sent to an address the user has since changed verifies nothing.
      if (!(await markEmailVerified(tx, tenant.id, consumed.user_id, consumed.email)))
        throw invalidEmailLink();
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: verificationEvents.verified,
        userId: consumed.user_id,
        ...auditMeta(meta),
      });
      return consumed.user_id;
    });
    // Cached sessions carry email_verified.
    await this.deps.sessionAccess.invalidateUser(tenant.id, userId);
  }
}
