import { defineAuditEvents } from '../../audit/events.js';

/**
 * What an operator does to a user (admin API or CLI), each with `via` and `admin_id`. Never a password or
 * a claim's value: the names of the fields changed only. Creation is the core's `user.created`; signing a
 * user out everywhere the core's `user.logout_all`; ending one session the core's `session.revoked`.
 */
export const usersAdminEvents = defineAuditEvents({
  updated: 'user.updated',
  blocked: 'user.blocked',
  unblocked: 'user.unblocked',
  deleted: 'user.deleted',
  passwordSet: 'user.password_set',
  consentRevoked: 'user.consent_revoked',
  exported: 'user.exported',
});
