// Admin API: a tenant's roles and their permissions, users' roles, API resources (RFC 8707) with their
// permissions and the clients allowed to ask for each. Parse, call the service, answer.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors, noContent } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import type { ResourceRow, RoleRow } from './repository.js';
import {
  Resource,
  ResourceClient,
  ResourceClientBody,
  ResourceClientParams,
  ResourceCreate,
  ResourceList,
  ResourceParams,
  ResourcePermissionsBody,
  ResourceUpdate,
  Role,
  RoleCreate,
  RoleList,
  RoleParams,
  RolePermissionsBody,
  RoleUpdate,
  UserParams,
  UserRolesBody,
} from './schemas.js';
import type { Actor, Rbac, Resource as FullResource } from './service.js';

export function rbacAdminRoutes(rbac: Rbac, tenants: Tenants): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const actor = (request: FastifyRequest): Actor => ({
      via: 'admin_api',
      adminId: kit.admin(request).id,
      meta: metaOf(request),
    });
    const tenantOf = (request: { params: { tenant: string } }) => tenants.resolve(request.params.tenant);

    // --- roles ---
    app.get(
      '/v2/admin/tenants/:tenant/roles',
      {
        schema: {
          ...common,
          summary: "The tenant's roles, with their permissions",
          params: TenantParams,
          response: { 200: RoleList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return { roles: (await rbac.listRoles(await tenantOf(request))).map(roleJson) };
      },
    );

    app.post(
      '/v2/admin/tenants/:tenant/roles',
      {
        schema: {
          ...common,
          summary: 'Create a role',
          description:
            'Without permissions; add them with `POST .../roles/{name}/permissions`. 409 `conflict` when ' +
            'the name is taken. Audited (`role.created`).',
          params: TenantParams,
          body: RoleCreate,
          response: { 201: Role, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const role = await rbac.createRole(await tenantOf(request), request.body, who);
        return reply.code(201).send(roleJson(role));
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/roles/:name',
      {
        schema: {
          ...common,
          summary: 'A role',
          params: RoleParams,
          response: { 200: Role, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return roleJson(await rbac.role(await tenantOf(request), request.params.name));
      },
    );

    app.put(
      '/v2/admin/tenants/:tenant/roles/:name',
      {
        schema: {
          ...common,
          summary: 'Rename a role or change its description',
          description:
            'A system role keeps its name (403 `access_denied`); 409 `conflict` when the new name is taken. ' +
            'Audited (`role.updated`).',
          params: RoleParams,
          body: RoleUpdate,
          response: { 200: Role, ...errors(...BODY_ERRORS, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenantOf(request);
        return roleJson(await rbac.updateRole(tenant, request.params.name, request.body, who));
      },
    );

    app.delete(
      '/v2/admin/tenants/:tenant/roles/:name',
      {
        schema: {
          ...common,
          summary: 'Delete a role',
          description:
            'Its users lose it (their next token shows it). A system role cannot be deleted (403 ' +
            '`access_denied`). Audited (`role.deleted`).',
          params: RoleParams,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        await rbac.deleteRole(await tenantOf(request), request.params.name, who);
        return reply.code(204).send();
      },
    );

    for (const [method, change] of [
      ['post', 'add'],
      ['delete', 'remove'],
    ] as const) {
      app[method](
        '/v2/admin/tenants/:tenant/roles/:name/permissions',
        {
          schema: {
            ...common,
            summary: change === 'add' ? 'Add permissions to a role' : 'Remove permissions from a role',
            description:
              'Each permission is `{resource, permission}`: a resource of the tenant (its identifier) and ' +
              (change === 'add'
                ? 'one of its permissions (else 400 `invalid_request`). Audited (`role.permissions_added`).'
                : 'a permission the role has (others are ignored). Audited (`role.permissions_removed`).'),
            params: RoleParams,
            body: RolePermissionsBody,
            response: { 200: Role, ...errors(...BODY_ERRORS, 401, 404) },
          },
        },
        async (request) => {
          const who = actor(request);
          const tenant = await tenantOf(request);
          const role = await rbac.changeRolePermissions(
            tenant,
            request.params.name,
            change,
            request.body.permissions,
            who,
          );
          return roleJson(role);
        },
      );
    }

    // --- users' roles ---
    app.get(
      '/v2/admin/tenants/:tenant/users/:id/roles',
      {
        schema: {
          ...common,
          summary: "A user's roles",
          params: UserParams,
          response: { 200: RoleList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const roles = await rbac.rolesOf(await tenantOf(request), request.params.id);
        return { roles: roles.map(roleJson) };
      },
    );

    for (const [method, change] of [
      ['post', 'add'],
      ['delete', 'remove'],
    ] as const) {
      app[method](
        '/v2/admin/tenants/:tenant/users/:id/roles',
        {
          schema: {
            ...common,
            summary: change === 'add' ? 'Give a user roles' : 'Take roles from a user',
            description:
              'By name; an unknown name is 400 `invalid_request` and changes nothing. The user\u2019s next ' +
              `access token (a refresh included) shows it. Audited (\`user.roles_${change === 'add' ? 'added' : 'removed'}\`). Answers the user's roles.`,
            params: UserParams,
            body: UserRolesBody,
            response: { 200: RoleList, ...errors(...BODY_ERRORS, 401, 404) },
          },
        },
        async (request) => {
          const who = actor(request);
          const tenant = await tenantOf(request);
          const roles = await rbac.changeUserRoles(
            tenant,
            request.params.id,
            change,
            request.body.roles,
            who,
          );
          return { roles: roles.map(roleJson) };
        },
      );
    }

    // --- resources ---
    app.get(
      '/v2/admin/tenants/:tenant/resources',
      {
        schema: {
          ...common,
          summary: "The tenant's API resources",
          params: TenantParams,
          response: { 200: ResourceList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return { resources: (await rbac.listResources(await tenantOf(request))).map(resourceJson) };
      },
    );

    app.post(
      '/v2/admin/tenants/:tenant/resources',
      {
        schema: {
          ...common,
          summary: 'Register an API resource (RFC 8707)',
          description:
            'Its identifier is the `aud` of its access tokens and the `resource` clients ask for: an absolute ' +
            'https URI without a fragment, or a URN, and not this server\u2019s own address (400 ' +
            '`invalid_request`). 409 `conflict` when the tenant has it already. No client may ask for it until ' +
            'allowed (`PUT .../resources/{id}/clients/{client_id}`). Audited (`resource.created`).',
          params: TenantParams,
          body: ResourceCreate,
          response: { 201: Resource, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const body = request.body;
        const resource = await rbac.createResource(
          await tenantOf(request),
          {
            identifier: body.identifier,
            name: body.name,
            ...(body.permissions ? { permissions: body.permissions } : {}),
            ...(body.access_token_ttl !== undefined ? { accessTokenTtl: body.access_token_ttl } : {}),
          },
          who,
        );
        return reply.code(201).send(fullResourceJson(resource));
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/resources/:id',
      {
        schema: {
          ...common,
          summary: 'An API resource, with the clients allowed to ask for it',
          params: ResourceParams,
          response: { 200: Resource, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return fullResourceJson(await rbac.resource(await tenantOf(request), request.params.id));
      },
    );

    app.put(
      '/v2/admin/tenants/:tenant/resources/:id',
      {
        schema: {
          ...common,
          summary: "Change an API resource's name, permissions or token lifetime",
          description:
            'The identifier never changes. A permission removed is removed from every role and client ' +
            'holding it. Audited (`resource.updated`).',
          params: ResourceParams,
          body: ResourceUpdate,
          response: { 200: Resource, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const body = request.body;
        const resource = await rbac.updateResource(
          await tenantOf(request),
          request.params.id,
          { name: body.name, permissions: body.permissions, accessTokenTtl: body.access_token_ttl ?? null },
          who,
        );
        return fullResourceJson(resource);
      },
    );

    app.delete(
      '/v2/admin/tenants/:tenant/resources/:id',
      {
        schema: {
          ...common,
          summary: 'Delete an API resource',
          description:
            'Roles lose its permissions; grants made for it get `invalid_target` at their next token. ' +
            'Audited (`resource.deleted`).',
          params: ResourceParams,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        await rbac.deleteResource(await tenantOf(request), request.params.id, who);
        return reply.code(204).send();
      },
    );

    for (const [method, change] of [
      ['post', 'add'],
      ['delete', 'remove'],
    ] as const) {
      app[method](
        '/v2/admin/tenants/:tenant/resources/:id/permissions',
        {
          schema: {
            ...common,
            summary:
              change === 'add'
                ? 'Add permissions to an API resource'
                : 'Remove permissions from an API resource',
            description:
              change === 'add'
                ? 'Scope tokens, not OpenID Connect scopes (400 `invalid_request`). Audited (`resource.updated`).'
                : 'Also removed from every role and client holding them. Audited (`resource.updated`).',
            params: ResourceParams,
            body: ResourcePermissionsBody,
            response: { 200: Resource, ...errors(...BODY_ERRORS, 401, 404) },
          },
        },
        async (request) => {
          const who = actor(request);
          const resource = await rbac.changeResourcePermissions(
            await tenantOf(request),
            request.params.id,
            change,
            request.body.permissions,
            who,
          );
          return fullResourceJson(resource);
        },
      );
    }

    app.put(
      '/v2/admin/tenants/:tenant/resources/:id/clients/:client_id',
      {
        schema: {
          ...common,
          summary: 'Allow a client to ask for an API resource',
          description:
            '`permissions`: what the client is granted for itself (client_credentials), among the ' +
            'resource\u2019s (else 400 `invalid_request`); users\u2019 tokens take their roles\u2019 permissions. ' +
            'Replaces what the client had. 404 for an unknown client. Audited (`resource.client_allowed`).',
          params: ResourceClientParams,
          body: ResourceClientBody,
          response: { 200: ResourceClient, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const allowed = await rbac.allowClient(
          await tenantOf(request),
          request.params.id,
          request.params.client_id,
          request.body.permissions ?? [],
          who,
        );
        return { ...allowed, created_at: allowed.created_at.toISOString() };
      },
    );

    app.delete(
      '/v2/admin/tenants/:tenant/resources/:id/clients/:client_id',
      {
        schema: {
          ...common,
          summary: 'Stop a client asking for an API resource',
          description:
            'Its next token for the resource (a refresh included) is `invalid_target`. Audited ' +
            '(`resource.client_removed`).',
          params: ResourceClientParams,
          response: { 204: noContent('Removed.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        await rbac.removeClient(await tenantOf(request), request.params.id, request.params.client_id, who);
        return reply.code(204).send();
      },
    );
  };
}

export function roleJson(role: RoleRow) {
  return {
    name: role.name,
    description: role.description,
    system: role.system,
    permissions: role.permissions,
    created_at: new Date(role.created_at).toISOString(),
    updated_at: new Date(role.updated_at).toISOString(),
  };
}

export function resourceJson(resource: ResourceRow) {
  return {
    id: resource.id,
    identifier: resource.identifier,
    name: resource.name,
    permissions: resource.permissions,
    access_token_ttl: resource.access_token_ttl_seconds,
    created_at: resource.created_at.toISOString(),
    updated_at: resource.updated_at.toISOString(),
  };
}

export function fullResourceJson(resource: FullResource) {
  return {
    ...resourceJson(resource),
    clients: resource.clients.map((c) => ({ ...c, created_at: c.created_at.toISOString() })),
  };
}
