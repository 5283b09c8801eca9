import { defineAuditEvents } from '../../audit/events.js';

/**
 * Every change to roles, API resources and who holds what: the names and identifiers changed, the
 * permissions added or removed, and the actor (`via`, `admin_id`). Never a token.
 */
export const rbacEvents = defineAuditEvents({
  roleCreated: 'role.created',
  roleUpdated: 'role.updated',
  roleDeleted: 'role.deleted',
  rolePermissionsAdded: 'role.permissions_added',
  rolePermissionsRemoved: 'role.permissions_removed',
  userRolesAdded: 'user.roles_added',
  userRolesRemoved: 'user.roles_removed',
  resourceCreated: 'resource.created',
  resourceUpdated: 'resource.updated',
  resourceDeleted: 'resource.deleted',
  resourceClientAllowed: 'resource.client_allowed',
  resourceClientRemoved: 'resource.client_removed',
});
