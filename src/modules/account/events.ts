import { defineAuditEvents } from '../../audit/events.js';

/** What the account page changes. None keeps what was typed (no name, no password). */
export const accountEvents = defineAuditEvents({
  passwordChanged: 'password.changed',
  profileUpdated: 'user.profile_updated',
  otherSessionsRevoked: 'session.others_revoked',
});
