// The account page's own writes; everything else it reads and writes through the core repositories.
import type { Queryable } from '../../db/database.js';

/** Sets a user's display name (null clears it). False when the user is gone. */
export async function updateUserName(
  db: Queryable,
  tenantId: string,
  userId: string,
  name: string | null,
): Promise<boolean> {
  const result = await db.query(
    'UPDATE users SET name = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2',
    [tenantId, userId, name],
  );
  return result.rowCount > 0;
}
