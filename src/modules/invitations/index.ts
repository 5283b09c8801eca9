// Invitations: an operator invites an address (admin API, CLI) with roles to give; the emailed link opens
// the hosted page /invite where the person creates the account (address verified, the tenant's sign-up
// setting aside), which gets the roles through the build's user roles (CoreServices.userRoles). Links
// are single-use, expiring, revocable; ended invitations are swept after 30 days. See docs/admin.md.
import { defineModule } from '../../kernel/module.js';
import { invitationAdminRoutes } from './admin-routes.js';
import { invitationCommandHandlers, invitationCommands } from './cli.js';
import { invitationEvents } from './events.js';
import { migration } from './migration.js';
import { invitationPageRoutes } from './pages.js';
import { deleteOldInvitations, invitationsOfUser } from './repository.js';
import { invitationJson, Invitations } from './service.js';

/** Days an ended invitation (accepted, revoked, expired) stays listed before the sweeper deletes it. */
const KEEP_DAYS = 30;

export const invitationsModule = defineModule({
  id: 'invitations',
  migrations: [migration],
  auditEvents: Object.values(invitationEvents),
  commandGroups: [{ name: 'invitations', description: 'invitations to create an account, sent by email' }],
  commands: invitationCommands,
  setup(core) {
    const invitations = new Invitations(core);
    return {
      adminRoutes: invitationAdminRoutes(invitations, core.tenants),
      pageRoutes: invitationPageRoutes(invitations, core),
      commands: invitationCommandHandlers(invitations),
      sweeperJobs: [
        { name: 'invitations', run: (db, batchSize) => deleteOldInvitations(db, KEEP_DAYS, batchSize) },
      ],
      userExport: async (db, tenant, userId) => ({
        invitations: (await invitationsOfUser(db, tenant.id, userId)).map(invitationJson),
      }),
    };
  },
});
