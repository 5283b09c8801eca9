import type { Migration } from '../../db/migrations/types.js';

// Signed webhooks: each tenant's endpoints (the signing secret sealed with ChaCha20-Poly1305 under the
// secretbox master key, bound to the tenant and endpoint), the outbox of deliveries, and the log of every
// attempt.
//
// The outbox is filled by a trigger on audit_events: every event the product records (the core's and
// every module's, all written with insertAuditEvent inside the transaction of the change they record)
// becomes, in that same transaction, one delivery row per enabled endpoint of its tenant whose filter
// matches. A change that rolls back leaves no event and no delivery; a committed one cannot lose its
// delivery. The trigger is one indexed probe of the tenant's enabled endpoints (nothing more for a
// tenant without any, the common case on every login). The payload is built here, once, from the audit
// row: id, type, created_at, tenant_id, user_id and data (never the IP address or user agent); it is
// stored as the exact text that is signed and sent, identical on every retry.
//
// The module's own events (`webhook.*`: endpoints created, changed, tested…) are audited but not
// delivered; `webhook.test` deliveries are queued directly by the test route.
export const migration: Migration = {
  version: 16,
  name: 'webhooks',
  sql: `
CREATE TABLE webhook_endpoints (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url            text NOT NULL,
  -- Exact types (user.login), prefixes (mfa.*) or * (every event but webhook.*).
  events         text[] NOT NULL,
  enabled        boolean NOT NULL DEFAULT true,
  description    text NOT NULL DEFAULT '',
  -- whsec_… sealed (version || nonce || ciphertext || tag), associated data: tenant and endpoint ids.
  secret_sealed  bytea NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, created_at);
CREATE INDEX webhook_endpoints_enabled ON webhook_endpoints (tenant_id) WHERE enabled;

CREATE TABLE webhook_deliveries (
  -- X-HelloJohn-Delivery-ID: the same on every retry of this delivery.
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Insertion order: the delivery log's order and cursor.
  seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The event's id (the audit event's, or test_… for a test event): the same for a replay.
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  -- The exact JSON body that is signed and sent.
  payload          text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  -- When a worker may take it: due now, after a backoff, or after a lease (a claim in progress).
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_status_code integer,
  last_error       text,
  -- The delivery this one replays (a new delivery of the same event).
  replay_of        uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, seq DESC);
CREATE INDEX webhook_deliveries_completed ON webhook_deliveries (completed_at) WHERE status <> 'pending';

CREATE TABLE webhook_attempts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at  timestamptz NOT NULL DEFAULT now(),
  -- The answer's status; NULL when there was none (refused address, timeout, connection error).
  status_code   integer,
  error         text,
  duration_ms   integer NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

CREATE FUNCTION webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF starts_with(NEW.type, 'webhook.') THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload)
  SELECT NEW.tenant_id, e.id, NEW.id::text, NEW.type,
         jsonb_build_object(
           'id', NEW.id::text,
           'type', NEW.type,
           'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'tenant_id', NEW.tenant_id,
           'user_id', NEW.user_id,
           'data', NEW.data
         )::text
    FROM webhook_endpoints e
   WHERE e.tenant_id = NEW.tenant_id
     AND e.enabled
     AND EXISTS (
       SELECT 1 FROM unnest(e.events) AS f
        WHERE f = '*' OR f = NEW.type OR (right(f, 2) = '.*' AND starts_with(NEW.type, left(f, -1)))
     );
  RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_webhook_outbox
  AFTER INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION webhook_outbox();
`,
};
