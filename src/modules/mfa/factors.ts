// What the MFA module knows of each factor kind it manages, beyond the kernel's SecondFactor: how the
// account API lists a user's factors of that kind, and how one (or all, for an admin reset) is removed.
// TOTP and recovery codes are here; the email and SMS codes (./codes/) add theirs the same way.
import type { Queryable } from '../../db/database.js';
import type { SecondFactor } from '../../kernel/authentication.js';
import type { Tenant } from '../../tenants/tenants.js';

/** One factor a user has set up, as the account API lists it. */
export interface FactorRecord {
  /** Names it in DELETE /v2/auth/mfa/factors/{id}. */
  id: string;
  /** The SecondFactor id (`totp`, `recovery_code`, …). */
  type: string;
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** Recovery codes: how many are left unused. */
  remaining?: number;
}

export interface ManagedFactor {
  readonly factor: SecondFactor;
  /** The user's confirmed factors of this kind. */
  list(db: Queryable, tenant: Tenant, userId: string): Promise<FactorRecord[]>;
  /** Removes the user's factor `id` of this kind; false when there is none. */
  remove(db: Queryable, tenant: Tenant, userId: string, id: string): Promise<boolean>;
  /** Removes every factor of this kind of the user, pending ones included (an MFA reset). */
  removeAll(db: Queryable, tenant: Tenant, userId: string): Promise<void>;
}
