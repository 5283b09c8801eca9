import type { Migration } from '../../db/migrations/types.js';

// Access control: a tenant's API resources (RFC 8707: an API identified by an absolute URI, the
// permissions a token for it may carry, the clients allowed to ask for it and what each is granted for
// itself), its roles (each a set of permissions of its resources; a system role cannot be renamed or
// deleted through the admin API) and which users hold them; and, per OAuth session, the resource its
// authorization granted (the code's exchange and every refresh name it). That last row refers to the
// resource by identifier, not by key: a resource deleted (or recreated) later refuses the grant's next
// token instead of quietly widening it.
export const migration: Migration = {
  version: 17,
  name: 'rbac',
  sql: `
CREATE TABLE rbac_resources (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id                 uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  identifier                text NOT NULL,
  name                      text NOT NULL,
  permissions               text[] NOT NULL DEFAULT '{}',
  access_token_ttl_seconds  integer,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, identifier)
);

CREATE TABLE rbac_resource_clients (
  resource_id  uuid NOT NULL REFERENCES rbac_resources (id) ON DELETE CASCADE,
  client_id    text NOT NULL,
  -- What the client is granted for itself (client_credentials); users' tokens take their roles'.
  permissions  text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_id, client_id)
);

CREATE TABLE rbac_roles (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text,
  system       boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE rbac_role_permissions (
  role_id      uuid NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
  resource_id  uuid NOT NULL REFERENCES rbac_resources (id) ON DELETE CASCADE,
  permission   text NOT NULL,
  PRIMARY KEY (role_id, resource_id, permission)
);
CREATE INDEX rbac_role_permissions_by_resource ON rbac_role_permissions (resource_id);

CREATE TABLE rbac_user_roles (
  tenant_id   uuid NOT NULL,
  user_id     uuid NOT NULL,
  role_id     uuid NOT NULL REFERENCES rbac_roles (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, role_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rbac_user_roles_by_role ON rbac_user_roles (role_id);

CREATE TABLE rbac_grant_resources (
  -- The OAuth session the authorization code's exchange starts (authorization_codes.session_id).
  session_id  uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  resource    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rbac_grant_resources_by_age ON rbac_grant_resources (created_at);
`,
};

// What a user's access token needs from this module, in one call (ResourceIndicators.accessToken, at
// every token of a user grant): a function, so that each connection plans it once.
export const tokenContextFunction: Migration = {
  version: 22,
  name: 'rbac_user_token_context',
  sql: `
CREATE FUNCTION rbac_user_token_context(p_tenant uuid, p_session uuid, p_user uuid, p_client text)
RETURNS TABLE (granted text, target json, roles text[], permissions text[])
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH g AS (SELECT r.resource FROM rbac_grant_resources r WHERE r.session_id = p_session AND r.tenant_id = p_tenant),
       t AS (SELECT s.id, s.identifier, s.permissions, s.access_token_ttl_seconds,
                    c.permissions AS client_permissions
               FROM rbac_resources s JOIN g ON g.resource = s.identifier
               LEFT JOIN rbac_resource_clients c ON c.resource_id = s.id AND c.client_id = p_client
              WHERE s.tenant_id = p_tenant)
  SELECT (SELECT g.resource FROM g),
         (SELECT json_build_object('identifier', t.identifier, 'permissions', t.permissions,
                   'access_token_ttl_seconds', t.access_token_ttl_seconds,
                   'client_permissions', t.client_permissions) FROM t),
         ARRAY(SELECT r.name FROM rbac_user_roles u JOIN rbac_roles r ON r.id = u.role_id
                WHERE u.tenant_id = p_tenant AND u.user_id = p_user ORDER BY r.name),
         ARRAY(SELECT DISTINCT p.permission FROM rbac_user_roles u
                 JOIN rbac_role_permissions p ON p.role_id = u.role_id
                 JOIN t ON t.id = p.resource_id
                WHERE u.tenant_id = p_tenant AND u.user_id = p_user);
END
$$;
`,
};
