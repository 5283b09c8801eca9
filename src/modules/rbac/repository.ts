// The access-control tables. Every statement names the tenant (directly or through a row that does). The
// token endpoint's reads are one statement each: the resource and the client's grant there, or the
// grant's resource with the user's roles and their permissions for it.
import type { Queryable } from '../../db/database.js';

export interface ResourceRow {
  id: string;
  identifier: string;
  name: string;
  permissions: string[];
  access_token_ttl_seconds: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface ResourceClientRow {
  client_id: string;
  permissions: string[];
  created_at: Date;
}

export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  system: boolean;
  created_at: Date;
  updated_at: Date;
  /** Of the role's resources, as `{resource: identifier, permission}`. */
  permissions: { resource: string; permission: string }[];
}

const RESOURCE_COLUMNS =
  'id, identifier, name, permissions, access_token_ttl_seconds, created_at, updated_at';

// A role with its permissions, as one row.
const ROLE_SELECT = `
  SELECT r.id, r.name, r.description, r.system, r.created_at, r.updated_at,
         coalesce((SELECT json_agg(json_build_object('resource', s.identifier, 'permission', p.permission)
                                   ORDER BY s.identifier, p.permission)
                     FROM rbac_role_permissions p JOIN rbac_resources s ON s.id = p.resource_id
                    WHERE p.role_id = r.id), '[]'::json) AS permissions
    FROM rbac_roles r`;

// --- resources ---------------------------------------------------------------------------------------

export async function listResources(db: Queryable, tenantId: string): Promise<ResourceRow[]> {
  const result = await db.query<ResourceRow>(
    `SELECT ${RESOURCE_COLUMNS} FROM rbac_resources WHERE tenant_id = $1 ORDER BY identifier`,
    [tenantId],
  );
  return result.rows;
}

export async function findResource(db: Queryable, tenantId: string, id: string): Promise<ResourceRow | null> {
  const result = await db.query<ResourceRow>(
    `SELECT ${RESOURCE_COLUMNS} FROM rbac_resources WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return result.rows[0] ?? null;
}

export async function findResourcesByIdentifier(
  db: Queryable,
  tenantId: string,
  identifiers: readonly string[],
): Promise<ResourceRow[]> {
  const result = await db.query<ResourceRow>(
    `SELECT ${RESOURCE_COLUMNS} FROM rbac_resources WHERE tenant_id = $1 AND identifier = ANY($2::text[])`,
    [tenantId, identifiers],
  );
  return result.rows;
}

/** Null when the tenant already has a resource with this identifier. */
export async function insertResource(
  db: Queryable,
  tenantId: string,
  input: { identifier: string; name: string; permissions: string[]; ttlSeconds: number | null },
): Promise<ResourceRow | null> {
  const result = await db.query<ResourceRow>(
    `INSERT INTO rbac_resources (tenant_id, identifier, name, permissions, access_token_ttl_seconds)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, identifier) DO NOTHING
     RETURNING ${RESOURCE_COLUMNS}`,
    [tenantId, input.identifier, input.name, input.permissions, input.ttlSeconds],
  );
  return result.rows[0] ?? null;
}

export async function updateResource(
  db: Queryable,
  tenantId: string,
  id: string,
  input: { name: string; permissions: string[]; ttlSeconds: number | null },
): Promise<ResourceRow | null> {
  const result = await db.query<ResourceRow>(
    `UPDATE rbac_resources SET name = $3, permissions = $4, access_token_ttl_seconds = $5, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 RETURNING ${RESOURCE_COLUMNS}`,
    [tenantId, id, input.name, input.permissions, input.ttlSeconds],
  );
  return result.rows[0] ?? null;
}

/**
 * Drops grants of permissions the resource no longer has: from roles, and from the clients allowed to
 * ask for it. Run in the transaction that changed the resource's permissions.
 */
export async function pruneResourcePermissions(db: Queryable, resourceId: string): Promise<void> {
  await db.query(
    `DELETE FROM rbac_role_permissions p USING rbac_resources s
      WHERE p.resource_id = $1 AND s.id = p.resource_id AND NOT (p.permission = ANY(s.permissions))`,
    [resourceId],
  );
  await db.query(
    `UPDATE rbac_resource_clients c
        SET permissions = ARRAY(SELECT x FROM unnest(c.permissions) x WHERE x = ANY(s.permissions))
       FROM rbac_resources s WHERE c.resource_id = $1 AND s.id = c.resource_id`,
    [resourceId],
  );
}

export async function deleteResource(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const result = await db.query(`DELETE FROM rbac_resources WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  return result.rowCount > 0;
}

export async function listResourceClients(db: Queryable, resourceId: string): Promise<ResourceClientRow[]> {
  const result = await db.query<ResourceClientRow>(
    `SELECT client_id, permissions, created_at FROM rbac_resource_clients WHERE resource_id = $1
      ORDER BY client_id`,
    [resourceId],
  );
  return result.rows;
}

export async function putResourceClient(
  db: Queryable,
  resourceId: string,
  clientId: string,
  permissions: string[],
): Promise<ResourceClientRow> {
  const result = await db.query<ResourceClientRow>(
    `INSERT INTO rbac_resource_clients (resource_id, client_id, permissions) VALUES ($1, $2, $3)
     ON CONFLICT (resource_id, client_id) DO UPDATE SET permissions = EXCLUDED.permissions
     RETURNING client_id, permissions, created_at`,
    [resourceId, clientId, permissions],
  );
  return result.rows[0]!;
}

export async function deleteResourceClient(
  db: Queryable,
  resourceId: string,
  clientId: string,
): Promise<boolean> {
  const result = await db.query(
    `DELETE FROM rbac_resource_clients WHERE resource_id = $1 AND client_id = $2`,
    [resourceId, clientId],
  );
  return result.rowCount > 0;
}

/** A deleted client's grants on the tenant's resources (ModuleParts.hooks.clientDeleted). */
export async function deleteClientGrants(db: Queryable, tenantId: string, clientId: string): Promise<void> {
  await db.query(
    `DELETE FROM rbac_resource_clients c USING rbac_resources s
      WHERE s.id = c.resource_id AND s.tenant_id = $1 AND c.client_id = $2`,
    [tenantId, clientId],
  );
}

export async function clientExists(db: Queryable, tenantId: string, clientId: string): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM clients WHERE tenant_id = $1 AND client_id = $2`, [
    tenantId,
    clientId,
  ]);
  return result.rows.length > 0;
}

// --- roles -------------------------------------------------------------------------------------------

export async function listRoles(db: Queryable, tenantId: string): Promise<RoleRow[]> {
  const result = await db.query<RoleRow>(`${ROLE_SELECT} WHERE r.tenant_id = $1 ORDER BY r.name`, [tenantId]);
  return result.rows;
}

export async function findRole(db: Queryable, tenantId: string, name: string): Promise<RoleRow | null> {
  const result = await db.query<RoleRow>(`${ROLE_SELECT} WHERE r.tenant_id = $1 AND r.name = $2`, [
    tenantId,
    name,
  ]);
  return result.rows[0] ?? null;
}

/** Null when the tenant already has a role of this name. */
export async function insertRole(
  db: Queryable,
  tenantId: string,
  input: { name: string; description: string | null; system: boolean },
): Promise<string | null> {
  const result = await db.query<{ id: string }>(
    `INSERT INTO rbac_roles (tenant_id, name, description, system) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, name) DO NOTHING RETURNING id`,
    [tenantId, input.name, input.description, input.system],
  );
  return result.rows[0]?.id ?? null;
}

/** False when the new name is taken (the unique constraint says so). */
export async function updateRole(
  db: Queryable,
  roleId: string,
  input: { name: string; description: string | null },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE rbac_roles r SET name = $2, description = $3, updated_at = now()
      WHERE r.id = $1 AND NOT EXISTS (
        SELECT 1 FROM rbac_roles o WHERE o.tenant_id = r.tenant_id AND o.name = $2 AND o.id <> r.id)`,
    [roleId, input.name, input.description],
  );
  return result.rowCount > 0;
}

export async function deleteRole(db: Queryable, roleId: string): Promise<void> {
  await db.query(`DELETE FROM rbac_roles WHERE id = $1`, [roleId]);
}

export async function addRolePermissions(
  db: Queryable,
  roleId: string,
  grants: readonly { resourceId: string; permission: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO rbac_role_permissions (role_id, resource_id, permission)
     SELECT $1, r, p FROM unnest($2::uuid[], $3::text[]) AS g(r, p) ON CONFLICT DO NOTHING`,
    [roleId, grants.map((g) => g.resourceId), grants.map((g) => g.permission)],
  );
  await db.query(`UPDATE rbac_roles SET updated_at = now() WHERE id = $1`, [roleId]);
}

export async function removeRolePermissions(
  db: Queryable,
  roleId: string,
  grants: readonly { resourceId: string; permission: string }[],
): Promise<void> {
  await db.query(
    `DELETE FROM rbac_role_permissions p USING unnest($2::uuid[], $3::text[]) AS g(r, perm)
      WHERE p.role_id = $1 AND p.resource_id = g.r AND p.permission = g.perm`,
    [roleId, grants.map((g) => g.resourceId), grants.map((g) => g.permission)],
  );
  await db.query(`UPDATE rbac_roles SET updated_at = now() WHERE id = $1`, [roleId]);
}

// --- users' roles ------------------------------------------------------------------------------------

export async function userExists(db: Queryable, tenantId: string, userId: string): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, userId]);
  return result.rows.length > 0;
}

export async function rolesOfUser(db: Queryable, tenantId: string, userId: string): Promise<RoleRow[]> {
  const result = await db.query<RoleRow>(
    `${ROLE_SELECT} JOIN rbac_user_roles u ON u.role_id = r.id
      WHERE u.tenant_id = $1 AND u.user_id = $2 ORDER BY r.name`,
    [tenantId, userId],
  );
  return result.rows;
}

export async function assignRoles(
  db: Queryable,
  tenantId: string,
  userId: string,
  roleIds: readonly string[],
): Promise<void> {
  await db.query(
    `INSERT INTO rbac_user_roles (tenant_id, user_id, role_id) SELECT $1, $2, unnest($3::uuid[])
     ON CONFLICT DO NOTHING`,
    [tenantId, userId, roleIds],
  );
}

export async function unassignRoles(
  db: Queryable,
  tenantId: string,
  userId: string,
  roleIds: readonly string[],
): Promise<void> {
  await db.query(
    `DELETE FROM rbac_user_roles WHERE tenant_id = $1 AND user_id = $2 AND role_id = ANY($3::uuid[])`,
    [tenantId, userId, roleIds],
  );
}

/**
 * The users of a tenant that hold a role, as a condition on `users` aliased `alias` (for a user list
 * filtered by role): `${usersWithRole('u', 1, 2)}` with parameters [..., tenantId, roleName]. Only a
 * parameter index and the alias are put into the text, never a value.
 */
export function usersWithRole(alias: string, tenantParam: number, roleParam: number): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
  return `EXISTS (SELECT 1 FROM rbac_user_roles ur JOIN rbac_roles ro ON ro.id = ur.role_id
     WHERE ur.tenant_id = $${tenantParam} AND ur.user_id = ${alias}.id AND ro.name = $${roleParam})`;
}

/** The role as a system role: created when missing, marked system when it exists (one statement, race-safe). */
export async function upsertSystemRole(
  db: Queryable,
  tenantId: string,
  name: string,
  description: string,
): Promise<void> {
  await db.query(
    `INSERT INTO rbac_roles (tenant_id, name, description, system) VALUES ($1, $2, $3, true)
     ON CONFLICT (tenant_id, name) DO UPDATE SET system = true, updated_at = now()
      WHERE rbac_roles.system = false`,
    [tenantId, name, description],
  );
}

/** Whether the user holds the role named `roleName` in the tenant. */
export async function userHoldsRole(
  db: Queryable,
  tenantId: string,
  userId: string,
  roleName: string,
): Promise<boolean> {
  const result = await db.query<{ holds: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM rbac_user_roles ur JOIN rbac_roles ro ON ro.id = ur.role_id
      WHERE ur.tenant_id = $1 AND ur.user_id = $2 AND ro.name = $3) AS holds`,
    [tenantId, userId, roleName],
  );
  return result.rows[0]?.holds === true;
}

/** The ids of the users of a tenant that hold the role `roleName`. */
export async function userIdsWithRole(db: Queryable, tenantId: string, roleName: string): Promise<string[]> {
  const result = await db.query<{ id: string }>(
    `SELECT u.id FROM users u WHERE u.tenant_id = $1 AND ${usersWithRole('u', 1, 2)} ORDER BY u.id`,
    [tenantId, roleName],
  );
  return result.rows.map((r) => r.id);
}

// --- the token endpoint ------------------------------------------------------------------------------

export interface TargetRow {
  identifier: string;
  permissions: string[];
  access_token_ttl_seconds: number | null;
  /** The client's row for this resource: null when it may not ask for it. */
  client_permissions: string[] | null;
}

/** A resource by identifier, with what `clientId` is granted there (null: not allowed). One statement. */
export async function findTarget(
  db: Queryable,
  tenantId: string,
  identifier: string,
  clientId: string,
): Promise<TargetRow | null> {
  const result = await db.query<TargetRow>(
    `SELECT s.identifier, s.permissions, s.access_token_ttl_seconds, c.permissions AS client_permissions
       FROM rbac_resources s
       LEFT JOIN rbac_resource_clients c ON c.resource_id = s.id AND c.client_id = $3
      WHERE s.tenant_id = $1 AND s.identifier = $2`,
    [tenantId, identifier, clientId],
  );
  return result.rows[0] ?? null;
}

export interface UserTokenRow {
  /** The resource the grant was for (null: none), as it was named. */
  granted: string | null;
  /** That resource, when it still exists, with the client's row there. */
  target: TargetRow | null;
  roles: string[];
  /** The user's roles' permissions for that resource. */
  permissions: string[];
}

/** For a user grant's token: its resource, the user's roles and their permissions there. One statement. */
export async function userTokenContext(
  db: Queryable,
  input: { tenantId: string; sessionId: string; userId: string; clientId: string },
): Promise<UserTokenRow> {
  // A PL/pgSQL function (migration 22): its plan is cached per connection, where this statement sent
  // as text was planned again at every token (about twice its execution time).
  const result = await db.query<UserTokenRow>(
    'SELECT granted, target, roles, permissions FROM rbac_user_token_context($1, $2, $3, $4)',
    [input.tenantId, input.sessionId, input.userId, input.clientId],
  );
  return result.rows[0]!;
}

export async function insertGrantResource(
  db: Queryable,
  tenantId: string,
  sessionId: string,
  resource: string,
): Promise<void> {
  await db.query(`INSERT INTO rbac_grant_resources (session_id, tenant_id, resource) VALUES ($1, $2, $3)`, [
    sessionId,
    tenantId,
    resource,
  ]);
}

/**
 * Drops the resource of grants whose OAuth session is gone (ended and swept, or a code never exchanged),
 * once older than a day (a code lives a minute).
 */
export async function deleteStaleGrantResources(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM rbac_grant_resources WHERE session_id IN (
       SELECT g.session_id FROM rbac_grant_resources g
        WHERE g.created_at < now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = g.session_id)
        LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}

/** Whether the tenant has any role or API resource (else no token of it can carry either). */
export async function tenantUsesRbac(db: Queryable, tenantId: string): Promise<boolean> {
  const result = await db.query<{ used: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM rbac_roles WHERE tenant_id = $1)
         OR EXISTS (SELECT 1 FROM rbac_resources WHERE tenant_id = $1) AS used`,
    [tenantId],
  );
  return result.rows[0]?.used === true;
}
