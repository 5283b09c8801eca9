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

/** A first password for an account that has none; false when it has one (set a moment ago). */
export async function setFirstPasswordHash(
  db: Queryable,
  tenantId: string,
  userId: string,
  hash: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE users SET password_hash = $3, password_changed_at = now(), updated_at = now()
      WHERE tenant_id = $1 AND id = $2 AND password_hash IS NULL`,
    [tenantId, userId, hash],
  );
  return result.rowCount > 0;
}
