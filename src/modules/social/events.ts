import { defineAuditEvents } from '../../audit/events.js';

/** Social sign-in's changes; never with a code, a token, a secret or what a provider sent beyond ids. */
export const socialEvents = defineAuditEvents({
  providerSaved: 'social.provider_saved',
  providerRemoved: 'social.provider_removed',
  /** A provider account linked to a user: `via` sign_up, auto_link or account. */
  linked: 'social.linked',
  /** A provider account unlinked: `via` account or admin_api. */
  unlinked: 'social.unlinked',
  /** A social sign-in that found an account it may not sign in to (no auto-link), or no usable email. */
  signInRefused: 'social.sign_in_refused',
});
