// Roles, API resources and who holds what: the rules of the admin API and the CLI. Every change is one
// transaction with its audit event (the actor: admin_api with the admin's id, or cli).
import { operatorAudit, type OperatorActor } from '../../auth/public.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { HelloJohnError } from '../../errors.js';
import type { Tenant, Tenants } from '../../tenants/tenants.js';
import { rbacEvents } from './events.js';
import {
  addRolePermissions,
  assignRoles,
  clientExists,
  deleteResource,
  deleteResourceClient,
  deleteRole,
  findResource,
  findResourcesByIdentifier,
  findRole,
  insertResource,
  insertRole,
  listResourceClients,
  listResources,
  listRoles,
  pruneResourcePermissions,
  putResourceClient,
  removeRolePermissions,
  rolesOfUser,
  unassignRoles,
  updateResource,
  updateRole,
  userExists,
  type ResourceClientRow,
  type ResourceRow,
  type RoleRow,
} from './repository.js';
import * as rules from './rules.js';

export type Actor = OperatorActor;

export interface RoleInput {
  name: string;
  description?: string | null;
}

export interface ResourceInput {
  identifier: string;
  name: string;
  permissions?: readonly string[];
  accessTokenTtl?: number | null;
}

export interface RolePermission {
  resource: string;
  permission: string;
}

export interface Resource extends ResourceRow {
  clients: ResourceClientRow[];
}

const notFound = (what: string) => new HelloJohnError('not_found', `No such ${what} in this tenant.`);

export class Rbac {
  constructor(
    private readonly deps: {
      db: Database;
      baseUrl: URL;
      /** Told when a tenant gets a role or resource: token issuing skips RBAC for tenants without any. */
      tenants: Pick<Tenants, 'changed'>;
    },
  ) {}

  // --- roles -------------------------------------------------------------------------------------------

  listRoles(tenant: Tenant): Promise<RoleRow[]> {
    return listRoles(this.deps.db, tenant.id);
  }

  async role(tenant: Tenant, name: string): Promise<RoleRow> {
    return (await findRole(this.deps.db, tenant.id, name)) ?? notFoundRole(name);
  }

  /**
   * A system role (made only with the CLI: `system`) cannot be renamed or deleted through the admin API;
   * the CLI, the operator at the console, may.
   */
  async createRole(tenant: Tenant, input: RoleInput & { system?: boolean }, actor: Actor): Promise<RoleRow> {
    const name = rules.roleName(input.name);
    const description = rules.description(input.description);
    const role = await this.deps.db.transaction(async (tx) => {
      const id = await insertRole(tx, tenant.id, { name, description, system: input.system === true });
      if (!id) throw new HelloJohnError('conflict', `The tenant already has a role named ${name}.`);
      await this.audit(tx, tenant, actor, rbacEvents.roleCreated, {
        role: name,
        system: input.system === true,
      });
      return (await findRole(tx, tenant.id, name))!;
    });
    await this.deps.tenants.changed(tenant.id);
    return role;
  }

  async updateRole(tenant: Tenant, name: string, input: RoleInput, actor: Actor): Promise<RoleRow> {
    const next = rules.roleName(input.name);
    const description = rules.description(input.description);
    return this.deps.db.transaction(async (tx) => {
      const role = (await findRole(tx, tenant.id, name)) ?? notFoundRole(name);
      if (role.system && actor.via === 'admin_api' && next !== role.name)
        throw systemRole(role.name, 'renamed');
      if (!(await updateRole(tx, role.id, { name: next, description })))
        throw new HelloJohnError('conflict', `The tenant already has a role named ${next}.`);
      await this.audit(tx, tenant, actor, rbacEvents.roleUpdated, {
        role: next,
        ...(next !== role.name ? { renamed_from: role.name } : {}),
      });
      return (await findRole(tx, tenant.id, next))!;
    });
  }

  async deleteRole(tenant: Tenant, name: string, actor: Actor): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const role = (await findRole(tx, tenant.id, name)) ?? notFoundRole(name);
      if (role.system && actor.via === 'admin_api') throw systemRole(role.name, 'deleted');
      await deleteRole(tx, role.id);
      await this.audit(tx, tenant, actor, rbacEvents.roleDeleted, { role: role.name });
    });
  }

  /** Adds (or removes) permissions of the tenant's resources to a role; each must be its resource's. */
  async changeRolePermissions(
    tenant: Tenant,
    name: string,
    change: 'add' | 'remove',
    given: readonly RolePermission[],
    actor: Actor,
  ): Promise<RoleRow> {
    if (given.length === 0) throw new HelloJohnError('invalid_request', 'permissions: name at least one.');
    if (given.length > rules.MAX_PERMISSIONS)
      throw new HelloJohnError('invalid_request', `permissions: at most ${rules.MAX_PERMISSIONS} at once.`);
    return this.deps.db.transaction(async (tx) => {
      const role = (await findRole(tx, tenant.id, name)) ?? notFoundRole(name);
      const resources = new Map(
        (await findResourcesByIdentifier(tx, tenant.id, [...new Set(given.map((g) => g.resource))])).map(
          (r) => [r.identifier, r],
        ),
      );
      const grants = given.map((g) => {
        const resource = resources.get(g.resource);
        if (!resource)
          throw new HelloJohnError('invalid_request', `No resource ${g.resource} in this tenant.`);
        // Removing a permission the resource no longer has is allowed (it is gone already).
        if (change === 'add' && !resource.permissions.includes(g.permission))
          throw new HelloJohnError(
            'invalid_request',
            `${g.permission} is not a permission of ${g.resource}; add it to the resource first.`,
          );
        return { resourceId: resource.id, permission: g.permission };
      });
      if (change === 'add') await addRolePermissions(tx, role.id, grants);
      else await removeRolePermissions(tx, role.id, grants);
      await this.audit(
        tx,
        tenant,
        actor,
        change === 'add' ? rbacEvents.rolePermissionsAdded : rbacEvents.rolePermissionsRemoved,
        {
          role: role.name,
          permissions: given.map((g) => ({ resource: g.resource, permission: g.permission })),
        },
      );
      return (await findRole(tx, tenant.id, role.name))!;
    });
  }

  // --- users' roles ------------------------------------------------------------------------------------

  async rolesOf(tenant: Tenant, userId: string): Promise<RoleRow[]> {
    if (!(await userExists(this.deps.db, tenant.id, userId))) throw notFound('user');
    return rolesOfUser(this.deps.db, tenant.id, userId);
  }

  /** Gives (or takes) roles to a user; the next token of every grant of theirs shows it. */
  async changeUserRoles(
    tenant: Tenant,
    userId: string,
    change: 'add' | 'remove',
    names: readonly string[],
    actor: Actor,
  ): Promise<RoleRow[]> {
    const wanted = [...new Set(names.map((n) => rules.roleName(n, 'roles')))];
    if (wanted.length === 0) throw new HelloJohnError('invalid_request', 'roles: name at least one.');
    return this.deps.db.transaction(async (tx) => {
      if (!(await userExists(tx, tenant.id, userId))) throw notFound('user');
      const known = new Map((await listRoles(tx, tenant.id)).map((r) => [r.name, r]));
      const missing = wanted.filter((n) => !known.has(n));
      if (missing.length > 0)
        throw new HelloJohnError('invalid_request', `No such role in this tenant: ${missing.join(', ')}.`);
      const ids = wanted.map((n) => known.get(n)!.id);
      if (change === 'add') await assignRoles(tx, tenant.id, userId, ids);
      else await unassignRoles(tx, tenant.id, userId, ids);
      const { meta, data: by } = operatorAudit(actor);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: change === 'add' ? rbacEvents.userRolesAdded : rbacEvents.userRolesRemoved,
        userId,
        ...meta,
        data: { roles: wanted, ...by },
      });
      return rolesOfUser(tx, tenant.id, userId);
    });
  }

  // --- resources ---------------------------------------------------------------------------------------

  listResources(tenant: Tenant): Promise<ResourceRow[]> {
    return listResources(this.deps.db, tenant.id);
  }

  async resource(tenant: Tenant, id: string): Promise<Resource> {
    const row = (await findResource(this.deps.db, tenant.id, id)) ?? notFoundResource();
    return { ...row, clients: await listResourceClients(this.deps.db, row.id) };
  }

  async createResource(tenant: Tenant, input: ResourceInput, actor: Actor): Promise<Resource> {
    const identifier = rules.identifier(input.identifier, tenant, this.deps.baseUrl);
    const values = {
      identifier,
      name: rules.resourceName(input.name),
      permissions: rules.permissions(input.permissions ?? []),
      ttlSeconds: rules.ttlSeconds(input.accessTokenTtl),
    };
    const resource = await this.deps.db.transaction(async (tx) => {
      const row = await insertResource(tx, tenant.id, values);
      if (!row) throw new HelloJohnError('conflict', `The tenant already has a resource ${identifier}.`);
      await this.audit(tx, tenant, actor, rbacEvents.resourceCreated, {
        resource_id: row.id,
        identifier,
        permissions: row.permissions,
      });
      return { ...row, clients: [] };
    });
    await this.deps.tenants.changed(tenant.id);
    return resource;
  }

  /** The identifier never changes (tokens name it); name, permissions and lifetime do. */
  async updateResource(
    tenant: Tenant,
    id: string,
    input: { name: string; permissions: readonly string[]; accessTokenTtl?: number | null },
    actor: Actor,
  ): Promise<Resource> {
    const values = {
      name: rules.resourceName(input.name),
      permissions: rules.permissions(input.permissions),
      ttlSeconds: rules.ttlSeconds(input.accessTokenTtl),
    };
    return this.writeResource(tenant, id, actor, async (tx, row) => {
      void row;
      return updateResource(tx, tenant.id, id, values);
    });
  }

  async changeResourcePermissions(
    tenant: Tenant,
    id: string,
    change: 'add' | 'remove',
    given: readonly string[],
    actor: Actor,
  ): Promise<Resource> {
    const list = rules.permissions(given);
    if (list.length === 0) throw new HelloJohnError('invalid_request', 'permissions: name at least one.');
    return this.writeResource(tenant, id, actor, async (tx, row) => {
      const next =
        change === 'add'
          ? [...new Set([...row.permissions, ...list])]
          : row.permissions.filter((p) => !list.includes(p));
      if (next.length > rules.MAX_PERMISSIONS)
        throw new HelloJohnError('invalid_request', `permissions: at most ${rules.MAX_PERMISSIONS}.`);
      return updateResource(tx, tenant.id, id, {
        name: row.name,
        permissions: next,
        ttlSeconds: row.access_token_ttl_seconds,
      });
    });
  }

  async deleteResource(tenant: Tenant, id: string, actor: Actor): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const row = (await findResource(tx, tenant.id, id)) ?? notFoundResource();
      await deleteResource(tx, tenant.id, id);
      await this.audit(tx, tenant, actor, rbacEvents.resourceDeleted, {
        resource_id: id,
        identifier: row.identifier,
      });
    });
  }

  /** Allows a client to ask for the resource, granting it `permissions` for itself (client_credentials). */
  async allowClient(
    tenant: Tenant,
    id: string,
    clientId: string,
    given: readonly string[],
    actor: Actor,
  ): Promise<ResourceClientRow> {
    const list = rules.permissions(given);
    return this.deps.db.transaction(async (tx) => {
      const row = (await findResource(tx, tenant.id, id)) ?? notFoundResource();
      if (!(await clientExists(tx, tenant.id, clientId))) throw notFound('client');
      const unknown = list.filter((p) => !row.permissions.includes(p));
      if (unknown.length > 0)
        throw new HelloJohnError(
          'invalid_request',
          `Not permissions of ${row.identifier}: ${unknown.join(' ')}; add them to the resource first.`,
        );
      const allowed = await putResourceClient(tx, row.id, clientId, list);
      await this.audit(tx, tenant, actor, rbacEvents.resourceClientAllowed, {
        resource_id: row.id,
        identifier: row.identifier,
        client_id: clientId,
        permissions: list,
      });
      return allowed;
    });
  }

  async removeClient(tenant: Tenant, id: string, clientId: string, actor: Actor): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const row = (await findResource(tx, tenant.id, id)) ?? notFoundResource();
      if (!(await deleteResourceClient(tx, row.id, clientId)))
        throw notFound('client allowed for this resource');
      await this.audit(tx, tenant, actor, rbacEvents.resourceClientRemoved, {
        resource_id: row.id,
        identifier: row.identifier,
        client_id: clientId,
      });
    });
  }

  // --- helpers -----------------------------------------------------------------------------------------

  private writeResource(
    tenant: Tenant,
    id: string,
    actor: Actor,
    write: (tx: Queryable, row: ResourceRow) => Promise<ResourceRow | null>,
  ): Promise<Resource> {
    return this.deps.db.transaction(async (tx) => {
      const row = (await findResource(tx, tenant.id, id)) ?? notFoundResource();
      const updated = (await write(tx, row))!;
      await pruneResourcePermissions(tx, row.id);
      await this.audit(tx, tenant, actor, rbacEvents.resourceUpdated, {
        resource_id: row.id,
        identifier: row.identifier,
        permissions: updated.permissions,
      });
      return { ...updated, clients: await listResourceClients(tx, row.id) };
    });
  }

  private async audit(
    tx: Queryable,
    tenant: Tenant,
    actor: Actor,
    type: (typeof rbacEvents)[keyof typeof rbacEvents],
    data: Record<string, unknown>,
  ): Promise<void> {
    const { meta, data: by } = operatorAudit(actor);
    await insertAuditEvent(tx, { tenantId: tenant.id, type, ...meta, data: { ...data, ...by } });
  }
}

function notFoundRole(name: string): never {
  throw new HelloJohnError('not_found', `No role named ${name} in this tenant.`);
}

function notFoundResource(): never {
  throw new HelloJohnError('not_found', 'No such resource in this tenant.');
}

function systemRole(name: string, what: string): HelloJohnError {
  return new HelloJohnError(
    'access_denied',
    `The role ${name} is a system role: it cannot be ${what} through the admin API.`,
  );
}
