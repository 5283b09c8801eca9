// The webhook tables' SQL: endpoints, the outbox of deliveries (filled by the audit_events trigger of
// migration 16, and by the test and replay routes), the workers' claims, and the log of attempts. Every
// statement stands alone (no session state): it runs the same through PgBouncer's transaction mode.
import type { Queryable } from '../../db/database.js';

export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string;
  secret_sealed: Buffer;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryRow {
  id: string;
  seq: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  replay_of: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

const ENDPOINT = `id, tenant_id, url, events, enabled, description, secret_sealed, created_at, updated_at`;
const DELIVERY = `id, seq::text AS seq, endpoint_id, event_id, event_type, payload, status, attempts,
  next_attempt_at, last_status_code, last_error, replay_of, created_at, completed_at`;

export async function insertEndpoint(
  db: Queryable,
  row: Pick<EndpointRow, 'id' | 'tenant_id' | 'url' | 'events' | 'enabled' | 'description' | 'secret_sealed'>,
): Promise<EndpointRow> {
  const { rows } = await db.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, tenant_id, url, events, enabled, description, secret_sealed)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ENDPOINT}`,
    [row.id, row.tenant_id, row.url, row.events, row.enabled, row.description, row.secret_sealed],
  );
  return rows[0]!;
}

export async function listEndpoints(db: Queryable, tenantId: string): Promise<EndpointRow[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

export async function countEndpoints(db: Queryable, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM webhook_endpoints WHERE tenant_id = $1`,
    [tenantId],
  );
  return rows[0]!.n;
}

export async function findEndpoint(
  db: Queryable,
  tenantId: string,
  id: string,
  forUpdate = false,
): Promise<EndpointRow | null> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT ${ENDPOINT} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [tenantId, id],
  );
  return rows[0] ?? null;
}

export async function updateEndpoint(
  db: Queryable,
  tenantId: string,
  id: string,
  fields: Pick<EndpointRow, 'url' | 'events' | 'enabled' | 'description'>,
): Promise<EndpointRow | null> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET url = $3, events = $4, enabled = $5, description = $6, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 RETURNING ${ENDPOINT}`,
    [tenantId, id, fields.url, fields.events, fields.enabled, fields.description],
  );
  return rows[0] ?? null;
}

export async function updateSecret(
  db: Queryable,
  tenantId: string,
  id: string,
  sealed: Buffer,
): Promise<EndpointRow | null> {
  const { rows } = await db.query<EndpointRow>(
    `UPDATE webhook_endpoints SET secret_sealed = $3, updated_at = now()
      WHERE tenant_id = $1 AND id = $2 RETURNING ${ENDPOINT}`,
    [tenantId, id, sealed],
  );
  return rows[0] ?? null;
}

export async function deleteEndpoint(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
  ]);
  return rowCount > 0;
}

export async function insertDelivery(
  db: Queryable,
  row: {
    tenantId: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    payload: string;
    replayOf?: string;
  },
): Promise<DeliveryRow> {
  const { rows } = await db.query<DeliveryRow>(
    `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, payload, replay_of)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${DELIVERY}`,
    [row.tenantId, row.endpointId, row.eventId, row.eventType, row.payload, row.replayOf ?? null],
  );
  return rows[0]!;
}

export async function findDelivery(
  db: Queryable,
  tenantId: string,
  endpointId: string,
  id: string,
): Promise<DeliveryRow | null> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY} FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3`,
    [tenantId, endpointId, id],
  );
  return rows[0] ?? null;
}

/** Newest first, `limit` of them from before the `before` sequence number (the cursor). */
export async function listDeliveries(
  db: Queryable,
  tenantId: string,
  endpointId: string,
  options: { status?: DeliveryStatus; before?: string; limit: number },
): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY} FROM webhook_deliveries
      WHERE tenant_id = $1 AND endpoint_id = $2
        AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR seq < $4)
      ORDER BY webhook_deliveries.seq DESC LIMIT $5`,
    [tenantId, endpointId, options.status ?? null, options.before ?? null, options.limit],
  );
  return rows;
}

export async function attemptsOf(db: Queryable, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  const { rows } = await db.query<AttemptRow>(
    `SELECT delivery_id, attempted_at, status_code, error, duration_ms FROM webhook_attempts
      WHERE delivery_id = ANY ($1::uuid[]) ORDER BY id`,
    [deliveryIds],
  );
  return rows;
}

export interface ClaimedDelivery {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_type: string;
  payload: string;
  /** Counting this one. */
  attempts: number;
  url: string;
  secret_sealed: Buffer;
}

/**
 * Takes up to `limit` due deliveries of enabled endpoints, in one statement (its own short transaction):
 * rows another instance holds are skipped (SKIP LOCKED); each taken row counts its attempt and is leased
 * (next_attempt_at pushed `leaseMs` ahead), so an instance that dies while sending leaves it to be taken
 * again once the lease ends, and no other instance takes it before.
 */
export async function claimDue(db: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at
        LIMIT $1
          FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE webhook_deliveries d
        SET next_attempt_at = now() + $2::bigint * interval '1 millisecond', attempts = d.attempts + 1
       FROM due, webhook_endpoints e
      WHERE d.id = due.id AND e.id = d.endpoint_id
  RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_type, d.payload, d.attempts, e.url, e.secret_sealed`,
    [limit, leaseMs],
  );
  return rows;
}

/**
 * Logs one attempt and settles the delivery: `delivered`, `failed`, or pending again after `retryInMs`.
 * Only the claim that counted `attempt` settles it (a worker whose lease ran out, and whose delivery
 * another took, only logs its attempt). One statement: the log and the state change go together.
 */
export async function recordAttempt(
  db: Queryable,
  deliveryId: string,
  attempt: number,
  result: { statusCode: number | null; error: string | null; durationMs: number },
  outcome: { status: DeliveryStatus; retryInMs?: number },
): Promise<void> {
  await db.query(
    `WITH logged AS (
       INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
       SELECT id, $3, $4, $5 FROM webhook_deliveries WHERE id = $1
     )
     UPDATE webhook_deliveries
        SET status = $6,
            next_attempt_at = CASE WHEN $6 = 'pending' THEN now() + $7::bigint * interval '1 millisecond'
                                   ELSE next_attempt_at END,
            completed_at = CASE WHEN $6 = 'pending' THEN NULL ELSE now() END,
            last_status_code = $3, last_error = $4
      WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
    [
      deliveryId,
      attempt,
      result.statusCode,
      result.error,
      result.durationMs,
      outcome.status,
      outcome.retryInMs ?? 0,
    ],
  );
}

/** The sweeper's batch: delivered and failed deliveries (their attempts cascade) older than the retention. */
export async function deleteCompletedBatch(
  db: Queryable,
  retentionMs: number,
  batchSize: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries
        WHERE status <> 'pending' AND completed_at < now() - $1::bigint * interval '1 millisecond'
        LIMIT $2)`,
    [retentionMs, batchSize],
  );
  return rowCount;
}
