// The ways a user can sign in: their password (the core's), and what sign-in modules hold for them
// (passkeys, linked social accounts). The account page and the admin API list them, and removing one goes
// through `remove`, which never leaves an account without a way to sign in, even under parallel requests.
import type { Database, Queryable } from '../db/database.js';
import { HelloJohnError } from '../errors.js';
import type { IdentitySource, UserIdentity } from '../kernel/authentication.js';
import type { Tenant } from '../tenants/tenants.js';

/** The core's own identity: a password, when the user has one. */
export const PASSWORD_METHOD = 'password';

export class Identities {
  constructor(
    private readonly db: Database,
    /** Every module's source, filled once the modules are set up. */
    private readonly sources: readonly IdentitySource[],
  ) {}

  /** The user's identities: the password first, then each module's, in module order. */
  async list(tenant: Tenant, userId: string, db: Queryable = this.db): Promise<UserIdentity[]> {
    const password = await db.query<{ password_changed_at: Date | null; created_at: Date }>(
      'SELECT password_changed_at, created_at FROM users WHERE tenant_id = $1 AND id = $2 AND password_hash IS NOT NULL',
      [tenant.id, userId],
    );
    const own: UserIdentity[] = password.rows.map((row) => ({
      method: PASSWORD_METHOD,
      id: PASSWORD_METHOD,
      label: 'Password',
      createdAt: row.password_changed_at ?? row.created_at,
      lastUsedAt: null,
    }));
    const theirs = await Promise.all(this.sources.map((source) => source.list(db, tenant, userId)));
    return [...own, ...theirs.flat()];
  }

  /**
   * Removes one identity with `removeIt` (the module's delete, run in the same transaction), unless it is
   * the user's last way to sign in (409 conflict). The user's row is locked first, so two removals at
   * once cannot each see the other's identity and leave none. `removeIt` answers whether it removed one.
   */
  remove(
    tenant: Tenant,
    userId: string,
    identity: { method: string; id: string },
    removeIt: (tx: Queryable) => Promise<boolean>,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const locked = await tx.query('SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [
        tenant.id,
        userId,
      ]);
      if (locked.rowCount === 0) return false;
      const all = await this.list(tenant, userId, tx);
      const target = all.find((i) => i.method === identity.method && i.id === identity.id);
      if (!target) return false;
      if (all.length === 1)
        throw new HelloJohnError(
          'conflict',
          'This is the only way to sign in to the account; add another one before removing it.',
        );
      return removeIt(tx);
    });
  }
}
