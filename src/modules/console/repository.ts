// The console's one query of its own: whether any user of the operators' tenant holds the admin role.
import type { Queryable } from '../../db/database.js';

/** `userHasRole` is the build's role condition (UserRoles.userHasRole): no rbac table is named here. */
export async function anyUserHoldsRole(
  db: Queryable,
  tenantId: string,
  role: string,
  userHasRole: (alias: string, tenantParam: number, roleParam: number) => string,
): Promise<boolean> {
  const result = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = $1 AND ${userHasRole('u', 1, 2)}) AS found`,
    [tenantId, role],
  );
  return result.rows[0]?.found === true;
}
