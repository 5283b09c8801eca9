// The access-control commands, the CLI's side of the admin API: `hellojohn roles …` and `hellojohn
// resources …`. The same service calls, audited with `via: 'cli'`; `roles create --system` is the only
// way to make a system role (one the admin API can neither rename nor delete).
import { HelloJohnError } from '../../errors.js';
import type { CommandHandler, ModuleCommand } from '../../kernel/module.js';
import { fullResourceJson, resourceJson, roleJson } from './admin-routes.js';
import type { Rbac } from './service.js';

const CLI = { via: 'cli' } as const;

export const rbacCommands: readonly ModuleCommand[] = [
  { group: 'roles', name: 'list', description: "list the tenant's roles and their permissions" },
  {
    group: 'roles',
    name: 'create',
    description: 'create a role',
    options: [
      { flags: '--name <name>', description: 'the role name' },
      { flags: '--description <text>', description: 'what the role is for' },
      { flags: '--system', description: 'a system role: the admin API cannot rename or delete it' },
    ],
  },
  {
    group: 'roles',
    name: 'delete',
    description: 'delete a role (a system role too: the CLI is the operator)',
    options: [{ flags: '--name <name>', description: 'the role name' }],
  },
  {
    group: 'roles',
    name: 'add-permission',
    description: "add one of a resource's permissions to a role",
    options: [
      { flags: '--name <name>', description: 'the role name' },
      { flags: '--resource <identifier>', description: 'the resource identifier' },
      { flags: '--permission <permission>', description: 'the permission' },
    ],
  },
  {
    group: 'roles',
    name: 'assign',
    description: 'give a user a role',
    options: [
      { flags: '--user <id>', description: 'the user id' },
      { flags: '--name <name>', description: 'the role name' },
    ],
  },
  {
    group: 'roles',
    name: 'unassign',
    description: 'take a role from a user',
    options: [
      { flags: '--user <id>', description: 'the user id' },
      { flags: '--name <name>', description: 'the role name' },
    ],
  },
  { group: 'resources', name: 'list', description: "list the tenant's API resources" },
  {
    group: 'resources',
    name: 'create',
    description: 'register an API resource (RFC 8707)',
    options: [
      { flags: '--identifier <uri>', description: 'an absolute https URI or a URN: the aud of its tokens' },
      { flags: '--name <name>', description: 'a name for people' },
      { flags: '--permissions <list>', description: 'comma-separated permissions (scopes)' },
      { flags: '--access-token-ttl <seconds>', description: 'lifetime of its access tokens' },
    ],
  },
  {
    group: 'resources',
    name: 'allow-client',
    description: 'allow a client to ask for a resource, with what it is granted for itself',
    options: [
      { flags: '--id <id>', description: 'the resource id' },
      { flags: '--client <client_id>', description: 'the client' },
      { flags: '--permissions <list>', description: 'comma-separated permissions for client_credentials' },
    ],
  },
  {
    group: 'resources',
    name: 'delete',
    description: 'delete an API resource',
    options: [{ flags: '--id <id>', description: 'the resource id' }],
  },
];

function required(options: Readonly<Record<string, string | true>>, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value === '')
    throw new HelloJohnError('invalid_request', `--${name} is required.`);
  return value;
}

const list = (value: string | true | undefined) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function uuid(options: Readonly<Record<string, string | true>>, name: string): string {
  const value = required(options, name);
  if (!UUID.test(value)) throw new HelloJohnError('invalid_request', `--${name}: not an id.`);
  return value;
}

export function rbacCommandHandlers(rbac: Rbac): Record<string, CommandHandler> {
  return {
    'roles list': async (tenant) => {
      const roles = (await rbac.listRoles(tenant)).map(roleJson);
      const text = roles
        .map(
          (r) =>
            `${r.name}${r.system ? ' (system)' : ''}: ${
              r.permissions.map((p) => `${p.resource} ${p.permission}`).join(', ') || 'no permissions'
            }`,
        )
        .join('\n');
      return { text: text || 'no roles', json: { roles } };
    },
    'roles create': async (tenant, options) => {
      const role = await rbac.createRole(
        tenant,
        {
          name: required(options, 'name'),
          description: typeof options.description === 'string' ? options.description : null,
          system: options.system === true,
        },
        CLI,
      );
      return { text: `created role ${role.name}${role.system ? ' (system)' : ''}`, json: roleJson(role) };
    },
    'roles delete': async (tenant, options) => {
      const name = required(options, 'name');
      await rbac.deleteRole(tenant, name, CLI);
      return { text: `deleted role ${name}`, json: { deleted: name } };
    },
    'roles add-permission': async (tenant, options) => {
      const role = await rbac.changeRolePermissions(
        tenant,
        required(options, 'name'),
        'add',
        [{ resource: required(options, 'resource'), permission: required(options, 'permission') }],
        CLI,
      );
      return { text: `role ${role.name}: ${role.permissions.length} permission(s)`, json: roleJson(role) };
    },
    'roles assign': async (tenant, options) => {
      const roles = await rbac.changeUserRoles(
        tenant,
        uuid(options, 'user'),
        'add',
        [required(options, 'name')],
        CLI,
      );
      return { text: `roles: ${roles.map((r) => r.name).join(', ')}`, json: { roles: roles.map(roleJson) } };
    },
    'roles unassign': async (tenant, options) => {
      const roles = await rbac.changeUserRoles(
        tenant,
        uuid(options, 'user'),
        'remove',
        [required(options, 'name')],
        CLI,
      );
      return {
        text: `roles: ${roles.map((r) => r.name).join(', ') || 'none'}`,
        json: { roles: roles.map(roleJson) },
      };
    },
    'resources list': async (tenant) => {
      const resources = (await rbac.listResources(tenant)).map(resourceJson);
      const text = resources.map((r) => `${r.id}  ${r.identifier}  ${r.permissions.join(' ')}`).join('\n');
      return { text: text || 'no resources', json: { resources } };
    },
    'resources create': async (tenant, options) => {
      const ttl = options['access-token-ttl'];
      if (ttl !== undefined && (typeof ttl !== 'string' || !/^\d+$/.test(ttl)))
        throw new HelloJohnError('invalid_request', '--access-token-ttl: whole seconds.');
      const resource = await rbac.createResource(
        tenant,
        {
          identifier: required(options, 'identifier'),
          name: required(options, 'name'),
          permissions: list(options.permissions),
          ...(typeof ttl === 'string' ? { accessTokenTtl: Number(ttl) } : {}),
        },
        CLI,
      );
      return {
        text: `created resource ${resource.id} ${resource.identifier}`,
        json: fullResourceJson(resource),
      };
    },
    'resources allow-client': async (tenant, options) => {
      const allowed = await rbac.allowClient(
        tenant,
        uuid(options, 'id'),
        required(options, 'client'),
        list(options.permissions),
        CLI,
      );
      return {
        text: `client ${allowed.client_id} allowed (${allowed.permissions.join(' ') || 'no permissions of its own'})`,
        json: { ...allowed, created_at: allowed.created_at.toISOString() },
      };
    },
    'resources delete': async (tenant, options) => {
      const id = uuid(options, 'id');
      await rbac.deleteResource(tenant, id, CLI);
      return { text: `deleted resource ${id}`, json: { deleted: id } };
    },
  };
}
