// Schemas of the webhook admin routes: endpoints (their secret only in the answers that make one), the
// delivery log and its query.
import { Type } from '@sinclair/typebox';
import { Nullable, StringEnum, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { EVENT_FILTER_PATTERN, MAX_DESCRIPTION, MAX_EVENTS, MAX_URL } from './service.js';

const Url = Type.String({
  minLength: 1,
  maxLength: MAX_URL,
  description:
    'Where events are POSTed: https:// (http:// only with WEBHOOK_ALLOW_HTTP), no user info or fragment; a ' +
    'host that is or resolves to a loopback, private, link-local, CGNAT, multicast or unspecified address ' +
    'is refused (400 `invalid_request`) unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on.',
});
const Events = Type.Array(Type.String({ maxLength: 200, pattern: EVENT_FILTER_PATTERN }), {
  minItems: 1,
  maxItems: MAX_EVENTS,
  description:
    'The event types sent: exact types (`user.registered`, `login.failed`), prefixes (`mfa.*`) or `*` ' +
    '(every event, except the `webhook.*` events of webhook administration).',
});
const Enabled = Type.Boolean({
  description: 'Disabled: no new deliveries; pending ones wait until it is enabled.',
});
const Description = Type.String({ maxLength: MAX_DESCRIPTION });

export const NewEndpointBody = Type.Object(
  {
    url: Url,
    events: Events,
    enabled: Type.Optional(Enabled),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);

export const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    enabled: Type.Optional(Enabled),
    description: Type.Optional(Description),
  },
  { additionalProperties: false, description: 'The members to change; those left out stay as they are.' },
);

const endpointProperties = {
  id: Uuid,
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  description: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
};

export const EndpointJson = Type.Object(endpointProperties);

export const EndpointWithSecret = Type.Object({
  ...endpointProperties,
  secret: Type.String({
    description:
      'The signing secret (`whsec_…`), shown this once: HMAC-SHA256 key of X-HelloJohn-Signature, as UTF-8.',
  }),
});

export const EndpointList = Type.Object({ webhooks: Type.Array(EndpointJson) });

const DeliveryStatus = StringEnum(['pending', 'delivered', 'failed'] as const);

export const DeliveryJson = Type.Object({
  id: Type.String({ description: 'X-HelloJohn-Delivery-ID: the same on every retry of this delivery.' }),
  event_id: Type.String({ description: 'The event (the `id` of the body); a replay has its original’s.' }),
  event_type: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Type.String({ format: 'date-time' })),
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Nullable(Type.String()),
  replay_of: Nullable(Type.String({ description: 'The delivery this one replays.' })),
  created_at: Type.String({ format: 'date-time' }),
  completed_at: Nullable(Type.String({ format: 'date-time' })),
  payload: Type.Object({}, { additionalProperties: true, description: 'The body sent.' }),
  attempt_log: Type.Array(
    Type.Object({
      attempted_at: Type.String({ format: 'date-time' }),
      status_code: Type.Union([Type.Integer(), Type.Null()]),
      error: Nullable(Type.String()),
      duration_ms: Type.Integer(),
    }),
  ),
});

export const DeliveryPage = Type.Object({
  deliveries: Type.Array(DeliveryJson),
  next_cursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next (older) page.' })),
});

export const DeliveryQuery = Type.Object(
  {
    status: Type.Optional(DeliveryStatus),
    limit: Type.Optional(
      Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1 to 100 (default 20).' }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const WebhookParams = Type.Object({ tenant: TenantSlug, id: Uuid });
export const DeliveryParams = Type.Object({ tenant: TenantSlug, id: Uuid, delivery_id: Uuid });
