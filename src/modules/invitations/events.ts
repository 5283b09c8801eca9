import { defineAuditEvents } from '../../audit/events.js';

/**
 * An invitation's life: made (or made again by `resend`), revoked, accepted. With the address, the
 * roles and the actor (`via`, `admin_id`); never the token or its link.
 */
export const invitationEvents = defineAuditEvents({
  created: 'invitation.created',
  revoked: 'invitation.revoked',
  accepted: 'invitation.accepted',
});
