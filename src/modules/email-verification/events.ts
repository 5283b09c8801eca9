import { defineAuditEvents } from '../../audit/events.js';

export const verificationEvents = defineAuditEvents({
  requested: 'email.verification_requested',
  verified: 'email.verified',
});
