// The roles users hold, offered to the rest of the build (CoreServices.userRoles): other modules check,
// give and filter by role names without knowing this module's tables.
import type { Queryable } from '../../db/database.js';
import type { UserRoles } from '../../kernel/module.js';
import { assignRoles, upsertSystemRole, userHoldsRole, usersWithRole } from './repository.js';

async function roleIds(db: Queryable, tenantId: string, names: readonly string[]) {
  const result = await db.query<{ id: string; name: string }>(
    `SELECT id, name FROM rbac_roles WHERE tenant_id = $1 AND name = ANY($2::text[])`,
    [tenantId, [...names]],
  );
  return new Map(result.rows.map((r) => [r.name, r.id]));
}

export const userRoles: UserRoles = {
  async unknown(db, tenantId, names) {
    const known = await roleIds(db, tenantId, names);
    return [...new Set(names)].filter((n) => !known.has(n));
  },
  async assign(tx, tenantId, userId, names) {
    if (names.length === 0) return;
    const known = await roleIds(tx, tenantId, names);
    await assignRoles(tx, tenantId, userId, [...known.values()]);
  },
  userHasRole: usersWithRole,
  ensureSystemRole: upsertSystemRole,
  holds: userHoldsRole,
};
