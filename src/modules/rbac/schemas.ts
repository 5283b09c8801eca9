// Schemas of the access-control admin routes: roles, users' roles, API resources and the clients allowed
// to ask for each. Shapes only; the rules (names, identifiers, permissions) are in ./rules.ts.
import { Type } from '@sinclair/typebox';
import { Nullable, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { MAX_IDENTIFIER, MAX_NAME, MAX_PERMISSIONS, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './rules.js';

const When = Type.String({ format: 'date-time' });
const RoleName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'Letters, digits, and _ . : - (starting with a letter or digit).',
});
const Permission = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'A scope token (RFC 6749 §3.3), e.g. `read:invoices`.',
});
const Identifier = Type.String({
  minLength: 1,
  maxLength: MAX_IDENTIFIER,
  description:
    "The API's identifier, the `aud` of its tokens and the `resource` clients ask for: an absolute https URI without a fragment, or a URN; never this server's own address.",
});
const Permissions = Type.Array(Permission, { maxItems: MAX_PERMISSIONS });
const Ttl = Type.Integer({
  minimum: MIN_TTL_SECONDS,
  maximum: MAX_TTL_SECONDS,
  description: "Access tokens for this API live this many seconds (default: the server's ACCESS_TTL).",
});

export const RoleParams = Type.Object({ tenant: TenantSlug, name: RoleName });
export const UserParams = Type.Object({ tenant: TenantSlug, id: Uuid });
export const ResourceParams = Type.Object({ tenant: TenantSlug, id: Uuid });
export const ResourceClientParams = Type.Object({
  tenant: TenantSlug,
  id: Uuid,
  client_id: Type.String({ minLength: 1, maxLength: 128 }),
});

export const RolePermission = Type.Object(
  { resource: Identifier, permission: Permission },
  { additionalProperties: false },
);

export const Role = Type.Object({
  name: Type.String(),
  description: Nullable(Type.String()),
  system: Type.Boolean({ description: 'A system role cannot be renamed or deleted through the admin API.' }),
  permissions: Type.Array(Type.Object({ resource: Type.String(), permission: Type.String() })),
  created_at: When,
  updated_at: When,
});
export const RoleList = Type.Object({ roles: Type.Array(Role) });

export const RoleCreate = Type.Object(
  { name: RoleName, description: Type.Optional(Nullable(Type.String({ maxLength: MAX_NAME }))) },
  { additionalProperties: false },
);
export const RoleUpdate = RoleCreate;

export const RolePermissionsBody = Type.Object(
  { permissions: Type.Array(RolePermission, { minItems: 1, maxItems: MAX_PERMISSIONS }) },
  { additionalProperties: false },
);

export const UserRolesBody = Type.Object(
  { roles: Type.Array(RoleName, { minItems: 1, maxItems: 50 }) },
  { additionalProperties: false },
);

export const ResourceClient = Type.Object({
  client_id: Type.String(),
  permissions: Type.Array(Type.String(), {
    description: 'What the client is granted for itself (client_credentials).',
  }),
  created_at: When,
});

export const Resource = Type.Object({
  id: Uuid,
  identifier: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  access_token_ttl: Type.Union([Type.Integer(), Type.Null()]),
  created_at: When,
  updated_at: When,
  clients: Type.Optional(Type.Array(ResourceClient)),
});
export const ResourceList = Type.Object({ resources: Type.Array(Resource) });

export const ResourceCreate = Type.Object(
  {
    identifier: Identifier,
    name: Type.String({ minLength: 1, maxLength: MAX_NAME }),
    permissions: Type.Optional(Permissions),
    access_token_ttl: Type.Optional(Type.Union([Ttl, Type.Null()])),
  },
  { additionalProperties: false },
);

export const ResourceUpdate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME }),
    permissions: Permissions,
    access_token_ttl: Type.Optional(Type.Union([Ttl, Type.Null()])),
  },
  { additionalProperties: false },
);

export const ResourcePermissionsBody = Type.Object(
  { permissions: Type.Array(Permission, { minItems: 1, maxItems: MAX_PERMISSIONS }) },
  { additionalProperties: false },
);

export const ResourceClientBody = Type.Object(
  { permissions: Type.Optional(Permissions) },
  { additionalProperties: false },
);
