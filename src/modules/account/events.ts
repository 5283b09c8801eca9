import { defineAuditEvents } from '../../audit/events.js';

/** What the account page changes. None keeps what was typed (no name, no password). */
export const accountEvents = defineAuditEvents({
  passwordChanged: 'password.changed',
  /** A first password, for an account that signed in without one (social, passkey). */
  passwordSet: 'password.set',
  profileUpdated: 'user.profile_updated',
  otherSessionsRevoked: 'session.others_revoked',
});
