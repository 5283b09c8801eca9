import { defineAuditEvents } from '../../audit/events.js';

/**
 * An operator's console account made (or an existing account of the operators' tenant given the admin
 * role): kept with the installation's admin events (the default tenant's trail), with the address and how
 * (`cli`, `environment`); never the password.
 */
export const consoleEvents = defineAuditEvents({
  accountCreated: 'admin.console_account_created',
});
