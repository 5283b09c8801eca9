// The rules of signed webhooks: endpoints (URL checked against SSRF rules, event filter, a secret shown
// once and stored sealed), the delivery log, test events and replays. Every change is audited with its
// actor in the transaction that makes it. Deliveries themselves are sent by the worker (worker.ts).
import { randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../../config.js';
import { open, seal } from '../../crypto/secretbox.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { HelloJohnError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenants.js';
import { TEST_EVENT_TYPE, webhookEvents } from './events.js';
import { UnsafeTargetError, resolveTarget } from './network.js';
import * as repo from './repository.js';
import type { AttemptRow, DeliveryRow, DeliveryStatus, EndpointRow } from './repository.js';
import { newWebhookSecret } from './signature.js';

export const MAX_URL = 2048;
export const MAX_DESCRIPTION = 500;
export const MAX_EVENTS = 50;
/** Endpoints one tenant may have: the trigger looks at each on every event of the tenant. */
export const MAX_ENDPOINTS = 20;
/** An exact event type, a prefix (`mfa.*`) or `*`. */
export const EVENT_FILTER_PATTERN =
  '^(\\*|[a-z][a-z_]*(\\.[a-z][a-z_]*)*\\.\\*|[a-z][a-z_]*(\\.[a-z][a-z_]*)+)$';

export interface Actor {
  via: 'admin_api' | 'cli';
  adminId?: string;
  meta?: { ip?: string | null; userAgent?: string | null };
}

export interface EndpointInput {
  url: string;
  events: readonly string[];
  enabled?: boolean;
  description?: string;
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  replay_of: string | null;
  created_at: string;
  completed_at: string | null;
  payload: Record<string, unknown>;
  attempt_log: {
    attempted_at: string;
    status_code: number | null;
    error: string | null;
    duration_ms: number;
  }[];
}

const secretAad = (tenantId: string, endpointId: string) => `webhook-secret:${tenantId}:${endpointId}`;

export class Webhooks {
  constructor(private readonly deps: { db: Database; config: WebhookConfig; secretboxMasterKey: Buffer }) {}

  async list(tenant: Tenant): Promise<Endpoint[]> {
    return (await repo.listEndpoints(this.deps.db, tenant.id)).map(endpointJson);
  }

  async get(tenant: Tenant, id: string): Promise<Endpoint> {
    return endpointJson(await this.endpoint(this.deps.db, tenant, id));
  }

  /** Creates an endpoint; its secret is in the answer, and never again. */
  async create(tenant: Tenant, input: EndpointInput, actor: Actor): Promise<Endpoint & { secret: string }> {
    const url = await this.checkUrl(input.url);
    const events = checkEvents(input.events);
    const description = input.description ?? '';
    const id = randomUUID();
    const secret = newWebhookSecret();
    const row = await this.deps.db.transaction(async (tx) => {
      if ((await repo.countEndpoints(tx, tenant.id)) >= MAX_ENDPOINTS)
        throw new HelloJohnError('conflict', `A tenant has at most ${MAX_ENDPOINTS} webhook endpoints.`);
      const created = await repo.insertEndpoint(tx, {
        id,
        tenant_id: tenant.id,
        url,
        events,
        enabled: input.enabled ?? true,
        description,
        secret_sealed: seal(this.deps.secretboxMasterKey, Buffer.from(secret), secretAad(tenant.id, id)),
      });
      await this.audit(tx, tenant, webhookEvents.created, actor, created);
      return created;
    });
    return { ...endpointJson(row), secret };
  }

  /** Changes what is given; what is left out stays. */
  async update(tenant: Tenant, id: string, input: Partial<EndpointInput>, actor: Actor): Promise<Endpoint> {
    const url = input.url === undefined ? undefined : await this.checkUrl(input.url);
    const events = input.events === undefined ? undefined : checkEvents(input.events);
    const row = await this.deps.db.transaction(async (tx) => {
      const current = await this.endpoint(tx, tenant, id, true);
      const updated = await repo.updateEndpoint(tx, tenant.id, id, {
        url: url ?? current.url,
        events: events ?? current.events,
        enabled: input.enabled ?? current.enabled,
        description: input.description ?? current.description,
      });
      await this.audit(tx, tenant, webhookEvents.updated, actor, updated!, {
        changed: Object.keys(input).filter((k) => input[k as keyof EndpointInput] !== undefined),
      });
      return updated!;
    });
    return endpointJson(row);
  }

  /** Deletes the endpoint and its deliveries (pending ones are never sent). */
  async remove(tenant: Tenant, id: string, actor: Actor): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const current = await this.endpoint(tx, tenant, id, true);
      await repo.deleteEndpoint(tx, tenant.id, id);
      await this.audit(tx, tenant, webhookEvents.deleted, actor, current);
    });
  }

  /** A new secret, at once: deliveries from now on (retries included) are signed with it. */
  async rotateSecret(tenant: Tenant, id: string, actor: Actor): Promise<Endpoint & { secret: string }> {
    const secret = newWebhookSecret();
    const row = await this.deps.db.transaction(async (tx) => {
      await this.endpoint(tx, tenant, id, true);
      const sealed = seal(this.deps.secretboxMasterKey, Buffer.from(secret), secretAad(tenant.id, id));
      const updated = (await repo.updateSecret(tx, tenant.id, id, sealed))!;
      await this.audit(tx, tenant, webhookEvents.secretRotated, actor, updated);
      return updated;
    });
    return { ...endpointJson(row), secret };
  }

  /** Queues a `webhook.test` event to this endpoint only, whatever its filter. */
  async test(tenant: Tenant, id: string, actor: Actor): Promise<Delivery> {
    const delivery = await this.deps.db.transaction(async (tx) => {
      const endpoint = await this.endpoint(tx, tenant, id, true);
      if (!endpoint.enabled)
        throw new HelloJohnError('conflict', 'The endpoint is disabled: enable it to send it events.');
      const eventId = `test_${randomUUID()}`;
      const payload = JSON.stringify({
        id: eventId,
        type: TEST_EVENT_TYPE,
        created_at: new Date().toISOString(),
        tenant_id: tenant.id,
        user_id: null,
        data: { endpoint_id: id },
      });
      const row = await repo.insertDelivery(tx, {
        tenantId: tenant.id,
        endpointId: id,
        eventId,
        eventType: TEST_EVENT_TYPE,
        payload,
      });
      await this.audit(tx, tenant, webhookEvents.tested, actor, endpoint, { delivery_id: row.id });
      return row;
    });
    return deliveryJson(delivery, []);
  }

  /**
   * Sends a delivered or failed delivery's event again, as a new delivery (a new delivery id, the same
   * body, `replay_of` the original): a receiver that dedupes by delivery id takes it, as asked.
   */
  async replay(tenant: Tenant, id: string, deliveryId: string, actor: Actor): Promise<Delivery> {
    const delivery = await this.deps.db.transaction(async (tx) => {
      const endpoint = await this.endpoint(tx, tenant, id, true);
      const original = await repo.findDelivery(tx, tenant.id, id, deliveryId);
      if (!original) throw new HelloJohnError('not_found', 'No such delivery of this endpoint.');
      if (original.status === 'pending')
        throw new HelloJohnError('conflict', 'The delivery is still pending: it will be attempted again.');
      if (!endpoint.enabled)
        throw new HelloJohnError('conflict', 'The endpoint is disabled: enable it to send it events.');
      const row = await repo.insertDelivery(tx, {
        tenantId: tenant.id,
        endpointId: id,
        eventId: original.event_id,
        eventType: original.event_type,
        payload: original.payload,
        replayOf: original.id,
      });
      await this.audit(tx, tenant, webhookEvents.replayed, actor, endpoint, {
        delivery_id: row.id,
        replay_of: original.id,
      });
      return row;
    });
    return deliveryJson(delivery, []);
  }

  /** The endpoint's deliveries, newest first; `cursor` is the previous page's `next_cursor`. */
  async deliveries(
    tenant: Tenant,
    id: string,
    options: { status?: DeliveryStatus; cursor?: string; limit?: number },
  ): Promise<{ deliveries: Delivery[]; next_cursor: string | null }> {
    await this.endpoint(this.deps.db, tenant, id);
    const limit = options.limit ?? 20;
    let before: string | undefined;
    if (options.cursor !== undefined) {
      before = Buffer.from(options.cursor, 'base64url').toString();
      if (!/^[1-9]\d{0,18}$/.test(before)) throw new HelloJohnError('invalid_request', 'Unknown cursor.');
    }
    const rows = await repo.listDeliveries(this.deps.db, tenant.id, id, {
      status: options.status,
      before,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const attempts = await repo.attemptsOf(
      this.deps.db,
      page.map((r) => r.id),
    );
    return {
      deliveries: page.map((r) =>
        deliveryJson(
          r,
          attempts.filter((a) => a.delivery_id === r.id),
        ),
      ),
      next_cursor: rows.length > limit ? Buffer.from(page[page.length - 1]!.seq).toString('base64url') : null,
    };
  }

  /** The plaintext secret of a claimed delivery's endpoint (to sign with). */
  openSecret(tenantId: string, endpointId: string, sealed: Buffer): string {
    return open(this.deps.secretboxMasterKey, sealed, secretAad(tenantId, endpointId)).toString();
  }

  private async endpoint(db: Queryable, tenant: Tenant, id: string, forUpdate = false): Promise<EndpointRow> {
    const row = await repo.findEndpoint(db, tenant.id, id, forUpdate);
    if (!row) throw new HelloJohnError('not_found', 'No such webhook endpoint in this tenant.');
    return row;
  }

  /** The URL, normalised, if it may be an endpoint: https (or http when allowed), a public host. */
  private async checkUrl(raw: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new HelloJohnError('invalid_request', 'The webhook url is not an absolute URL.');
    }
    const schemes = this.deps.config.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(url.protocol))
      throw new HelloJohnError(
        'invalid_request',
        this.deps.config.allowHttp
          ? 'The webhook url must be https:// or http://.'
          : 'The webhook url must be https:// (http:// only when WEBHOOK_ALLOW_HTTP is on).',
      );
    if (url.username || url.password)
      throw new HelloJohnError('invalid_request', 'The webhook url must not carry a user name or password.');
    if (url.hash) throw new HelloJohnError('invalid_request', 'The webhook url must not have a #fragment.');
    if (url.href.length > MAX_URL)
      throw new HelloJohnError('invalid_request', `The webhook url is longer than ${MAX_URL} characters.`);
    try {
      await resolveTarget(url, this.deps.config.allowPrivateNetworks);
    } catch (error) {
      if (error instanceof UnsafeTargetError)
        throw new HelloJohnError(
          'invalid_request',
          `The webhook url points to a loopback, private or otherwise internal address (${error.message}); ` +
            'such endpoints are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on.',
        );
      // A name that does not resolve yet is accepted: it is checked again at every delivery.
    }
    return url.href;
  }

  private audit(
    tx: Queryable,
    tenant: Tenant,
    type: (typeof webhookEvents)[keyof typeof webhookEvents],
    actor: Actor,
    endpoint: EndpointRow,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    return insertAuditEvent(tx, {
      tenantId: tenant.id,
      type,
      ip: actor.meta?.ip ?? null,
      userAgent: actor.meta?.userAgent ?? null,
      // The host only: a URL's path or query may carry a token of the receiver's. Never the secret.
      data: {
        via: actor.via,
        admin_id: actor.adminId ?? null,
        endpoint_id: endpoint.id,
        host: new URL(endpoint.url).host,
        events: endpoint.events,
        enabled: endpoint.enabled,
        ...extra,
      },
    });
  }
}

function checkEvents(events: readonly string[]): string[] {
  const pattern = new RegExp(EVENT_FILTER_PATTERN);
  const unique = [...new Set(events)];
  if (unique.length === 0)
    throw new HelloJohnError('invalid_request', 'events must name at least one event type (or "*").');
  if (unique.length > MAX_EVENTS)
    throw new HelloJohnError('invalid_request', `events has more than ${MAX_EVENTS} entries.`);
  const bad = unique.find((e) => !pattern.test(e));
  if (bad !== undefined)
    throw new HelloJohnError(
      'invalid_request',
      `events: ${JSON.stringify(bad.slice(0, 80))} is not an event type (user.login), a prefix (mfa.*) or *.`,
    );
  return unique;
}

function endpointJson(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    enabled: row.enabled,
    description: row.description,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function deliveryJson(row: DeliveryRow, attempts: readonly AttemptRow[]): Delivery {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    replay_of: row.replay_of,
    created_at: row.created_at.toISOString(),
    completed_at: row.completed_at?.toISOString() ?? null,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempt_log: attempts.map((a) => ({
      attempted_at: a.attempted_at.toISOString(),
      status_code: a.status_code,
      error: a.error,
      duration_ms: a.duration_ms,
    })),
  };
}
