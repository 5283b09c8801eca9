import { defineAuditEvents } from '../../audit/events.js';

/**
 * Every change an admin makes to a tenant's webhooks, with the actor: the endpoint's id, its URL and
 * filter, never its secret. These `webhook.*` events are not themselves delivered to webhooks (a
 * receiver would otherwise be told about itself, and a change to an endpoint could loop).
 */
export const webhookEvents = defineAuditEvents({
  created: 'webhook.created',
  updated: 'webhook.updated',
  deleted: 'webhook.deleted',
  secretRotated: 'webhook.secret_rotated',
  tested: 'webhook.tested',
  replayed: 'webhook.replayed',
});

/** The type of the event POST …/webhooks/{id}/test sends (to that endpoint only, whatever its filter). */
export const TEST_EVENT_TYPE = 'webhook.test';
