// Account administration (the `hellojohn users` commands, later the admin API): creating a user with the
// same checks as registration (email, name, the tenant's password policy including the breached check
// when configured, Argon2id), without sending mail or starting a session.
import type { Config } from '../config.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import type { Database } from '../db/database.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { insertUser, markEmailVerified, type UserRow } from '../db/repositories/users.js';
import { defaultPolicy, policyFor, type PasswordPolicyChecker } from '../auth/password-policy.js';
import { publicUser, type PublicUser } from '../auth/public.js';
import { prepareNewUser } from '../auth/registration.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';

export interface UsersAdminDeps {
  db: Database;
  config: Config;
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
}

export interface NewUser {
  email: string;
  password: string;
  name?: string | null;
  /** Mark the address as verified (the operator vouches for it). */
  verified?: boolean;
}

export class UsersAdmin {
  constructor(private readonly deps: UsersAdminDeps) {}

  /** Creates a user; `email_taken` when the address exists in the tenant, `weak_password` with the violations. */
  async createUser(
    tenant: Tenant,
    input: NewUser,
    actor: { via: 'cli' | 'admin_api'; adminId?: string | null } = { via: 'cli' },
  ): Promise<PublicUser> {
    const policy = policyFor(tenant.settings, defaultPolicy(this.deps.config.passwords));
    const { email, emailNormalized, otherKeys, name, passwordHash } = await prepareNewUser(
      this.deps,
      policy,
      input,
    );
    const user = await this.deps.db.transaction(async (tx): Promise<UserRow> => {
      const inserted = await insertUser(tx, {
        tenantId: tenant.id,
        email,
        emailNormalized,
        otherKeys,
        passwordHash,
        name,
      });
      if (!inserted) {
        throw new HelloJohnError('email_taken', 'An account with this email address already exists.');
      }
      if (input.verified) await markEmailVerified(tx, tenant.id, inserted.id, inserted.email);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: auditEvents.userCreated,
        userId: inserted.id,
        data: { via: actor.via, admin_id: actor.adminId ?? null, verified: input.verified === true },
      });
      return { ...inserted, email_verified: input.verified === true || inserted.email_verified };
    });
    return publicUser(user);
  }
}
