import { defineAuditEvents } from '../../audit/events.js';

/**
 * What sign-in by email writes to the audit trail (the sign-in itself is the core's `user.login`, with the
 * method). Never a link, token or code; the address only masked.
 */
export const emailSignInEvents = defineAuditEvents({
  linkSent: 'email_sign_in.link_sent',
  codeSent: 'email_sign_in.code_sent',
  /** An app's link opened on a page: the code for the app was shown. */
  linkApproved: 'email_sign_in.link_approved',
  codeAttemptsExhausted: 'email_sign_in.code_attempts_exhausted',
  settingsChanged: 'email_sign_in.settings_changed',
});
