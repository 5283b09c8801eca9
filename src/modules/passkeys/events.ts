import { defineAuditEvents } from '../../audit/events.js';

/**
 * Every passkey change and use: the passkey's id (ours), its authenticator model and flags; never a
 * challenge, a public key or what the browser sent. Failed sign-ins are the core's `login.failed`.
 */
export const passkeyEvents = defineAuditEvents({
  registered: 'passkey.registered',
  renamed: 'passkey.renamed',
  deleted: 'passkey.deleted',
  used: 'passkey.used',
  /** A genuine signature whose counter did not move forward: the key may have been copied. */
  cloneSuspected: 'passkey.clone_suspected',
  /** An admin turned the tenant's passkeys on or off (settings.passkeys). */
  settingsChanged: 'passkey.settings_changed',
});
