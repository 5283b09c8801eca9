import { defineAuditEvents } from '../../audit/events.js';

export const resetEvents = defineAuditEvents({
  requested: 'password.reset_requested',
  reset: 'password.reset',
});
