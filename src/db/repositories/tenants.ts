import type { Queryable } from '../database.js';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  settings: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant by slug, or by id when the value is a UUID. */
export async function findTenant(db: Queryable, slugOrId: string): Promise<TenantRow | null> {
  const column = UUID.test(slugOrId) ? 'id' : 'slug';
  const result = await db.query<TenantRow>(
    `SELECT id, slug, name, settings FROM tenants WHERE ${column} = $1`,
    [UUID.test(slugOrId) ? slugOrId.toLowerCase() : slugOrId],
  );
  return result.rows[0] ?? null;
}

export async function listTenants(db: Queryable): Promise<TenantRow[]> {
  return (await db.query<TenantRow>('SELECT id, slug, name, settings FROM tenants ORDER BY created_at')).rows;
}

export async function createTenant(db: Queryable, slug: string, name: string): Promise<TenantRow | null> {
  const result = await db.query<TenantRow>(
    `INSERT INTO tenants (slug, name) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING
     RETURNING id, slug, name, settings`,
    [slug, name],
  );
  return result.rows[0] ?? null;
}

/**
 * Stores one member of a tenant's settings (a module's own: `mfa`, `passkeys`, `social`…), leaving the
 * others as they are; false when there is no such tenant.
 */
export async function saveTenantSetting(
  db: Queryable,
  tenantId: string,
  member: string,
  value: unknown,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE tenants SET settings = jsonb_set(COALESCE(settings, '{}'::jsonb), ARRAY[$2::text], $3::jsonb)
      WHERE id = $1 RETURNING id`,
    [tenantId, member, JSON.stringify(value)],
  );
  return result.rows.length === 1;
}

export interface TenantDetailRow extends TenantRow {
  created_at: Date;
  updated_at: Date;
}

export async function findTenantDetail(db: Queryable, id: string): Promise<TenantDetailRow | null> {
  const result = await db.query<TenantDetailRow>(
    'SELECT id, slug, name, settings, created_at, updated_at FROM tenants WHERE id = $1',
    [id],
  );
  return result.rows[0] ?? null;
}

export async function listTenantDetails(db: Queryable): Promise<TenantDetailRow[]> {
  return (
    await db.query<TenantDetailRow>(
      'SELECT id, slug, name, settings, created_at, updated_at FROM tenants ORDER BY created_at, id',
    )
  ).rows;
}

/**
 * Changes a tenant's name (when given) and members of its settings: `set` members replace theirs, `remove`
 * members are dropped, the others stay. One statement, so concurrent changes to other members are kept.
 */
export async function updateTenant(
  db: Queryable,
  id: string,
  change: { name?: string; set: Record<string, unknown>; remove: string[] },
): Promise<TenantDetailRow | null> {
  const result = await db.query<TenantDetailRow>(
    `UPDATE tenants SET name = COALESCE($2, name),
            settings = (COALESCE(settings, '{}'::jsonb) - $4::text[]) || $3::jsonb,
            updated_at = now()
      WHERE id = $1 RETURNING id, slug, name, settings, created_at, updated_at`,
    [id, change.name ?? null, JSON.stringify(change.set), change.remove],
  );
  return result.rows[0] ?? null;
}

/** A tenant's settings, its row locked until the transaction ends (a change that keeps stored members). */
export async function lockTenantSettings(db: Queryable, id: string): Promise<Record<string, unknown> | null> {
  const result = await db.query<{ settings: Record<string, unknown> | null }>(
    'SELECT settings FROM tenants WHERE id = $1 FOR UPDATE',
    [id],
  );
  return result.rows[0] ? (result.rows[0].settings ?? {}) : null;
}

export async function countTenantUsers(db: Queryable, id: string): Promise<number> {
  const result = await db.query<{ n: string | number }>(
    'SELECT count(*) AS n FROM users WHERE tenant_id = $1',
    [id],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Deletes the tenant and, by cascade, every row of it; false when there was none. */
export async function deleteTenantRow(db: Queryable, id: string): Promise<boolean> {
  return (await db.query('DELETE FROM tenants WHERE id = $1 RETURNING id', [id])).rows.length === 1;
}
