// User administration: the admin API's users (create, list with cursor pagination and filters, get,
// partial update with standard OIDC claims and metadata, block/unblock, delete, set password, sign out
// everywhere, sessions, consents, GDPR export) and their CLI commands. Creating goes through the core's
// Registration (every module's userRegistered hook); the export asks every module for its part
// (ModuleParts.userExport). See docs/admin.md#users.
import { defineModule } from '../../kernel/module.js';
import { usersAdminRoutes } from './admin-routes.js';
import { usersAdminCommandHandlers, usersAdminCommands } from './cli.js';
import { usersAdminEvents } from './events.js';
import { migration } from './migration.js';
import { UsersDirectory } from './service.js';

export const usersAdminModule = defineModule({
  id: 'users-admin',
  migrations: [migration],
  auditEvents: Object.values(usersAdminEvents),
  commands: usersAdminCommands,
  setup(core) {
    const users = new UsersDirectory(core);
    return {
      adminRoutes: usersAdminRoutes(users, core.tenants),
      commands: usersAdminCommandHandlers(users, core.db),
    };
  },
});
