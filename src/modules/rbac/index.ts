// Access control: API resources (RFC 8707 resource indicators: a token is for one API, its `aud` that
// API's identifier, its scope that API's permissions the user's roles or the client's grant give), roles
// with their permissions, users' roles (the `roles`, `permissions` and `perms` claims of access tokens),
// and the admin API and CLI to manage them. See docs/admin.md (RBAC and API resources) and docs/oauth.md.
import { defineModule } from '../../kernel/module.js';
import { rbacAdminRoutes } from './admin-routes.js';
import { rbacCommandHandlers, rbacCommands } from './cli.js';
import { rbacEvents } from './events.js';
import { migration, tokenContextFunction } from './migration.js';
import { deleteClientGrants, deleteStaleGrantResources } from './repository.js';
import { ResourceIndicators } from './resource-indicators.js';
import { Rbac } from './service.js';
import { userRoles } from './user-roles.js';

export const rbacModule = defineModule({
  id: 'rbac',
  migrations: [migration, tokenContextFunction],
  auditEvents: Object.values(rbacEvents),
  commandGroups: [
    { name: 'roles', description: "roles of a tenant's users" },
    { name: 'resources', description: 'APIs (resources) access tokens are issued for' },
  ],
  commands: rbacCommands,
  setup(core) {
    const rbac = new Rbac({ db: core.db, baseUrl: core.config.http.baseUrl, tenants: core.tenants });
    const indicators = new ResourceIndicators(core.db);
    return {
      adminRoutes: rbacAdminRoutes(rbac, core.tenants),
      authorizationChecks: [indicators.check],
      accessTokenPolicy: indicators,
      commands: rbacCommandHandlers(rbac),
      sweeperJobs: [{ name: 'rbac_grant_resources', run: deleteStaleGrantResources }],
      hooks: { clientDeleted: (tx, tenant, clientId) => deleteClientGrants(tx, tenant.id, clientId) },
      userRoles,
    };
  },
});
