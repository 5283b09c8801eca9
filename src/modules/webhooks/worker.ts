// The delivery worker every serving instance runs (ModuleParts.workers). Each poll takes due deliveries
// in one short statement (FOR UPDATE SKIP LOCKED, leased: see claimDue), sends each outside any
// transaction, then logs the attempt and settles the delivery: delivered on a 2xx answer; otherwise
// retried after an exponential backoff with jitter, or `failed` after WEBHOOK_MAX_ATTEMPTS. At least
// once: a delivery is settled only after its answer, so an instance that dies mid-way leaves its claims
// to be sent again when their lease ends (receivers dedupe by X-HelloJohn-Delivery-ID). Polls on an
// interval; no LISTEN, no advisory locks: it works the same through PgBouncer's transaction mode.
import type { Logger } from 'pino';
import type { WebhookConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { ModuleWorker } from '../../kernel/module.js';
import { VERSION } from '../../version.js';
import { postTo, type PostResult } from './network.js';
import { claimDue, recordAttempt, type ClaimedDelivery } from './repository.js';
import type { Webhooks } from './service.js';
import { signatureHeader } from './signature.js';

export const USER_AGENT = `HelloJohn-Webhooks/${VERSION}`;

/**
 * The wait before the next attempt once `attempts` have failed: base × 2^(attempts−1), at most the
 * maximum, of which a random half is taken away (jitter: retries of many deliveries spread out).
 */
export function backoffMs(
  config: Pick<WebhookConfig, 'backoffBaseMs' | 'backoffMaxMs'>,
  attempts: number,
): number {
  const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** Math.min(attempts - 1, 40));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export class DeliveryWorker implements ModuleWorker {
  readonly name = 'webhook_deliveries';
  /** Longer than a POST may take: another instance takes a claim only once its sender is surely gone. */
  private readonly leaseMs: number;

  constructor(
    private readonly deps: { db: Database; config: WebhookConfig; webhooks: Webhooks; logger: Logger },
  ) {
    this.leaseMs = deps.config.timeoutMs * 2 + 5000;
  }

  start(): { stop(): Promise<void> } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const tick = () => {
      running = (async () => {
        try {
          // A full batch means more may be due: go on at once.
          while (!stopped && (await this.runOnce()) === this.deps.config.concurrency);
        } catch (error) {
          this.deps.logger.warn({ err: (error as Error).message }, 'webhook delivery poll failed');
        }
        if (!stopped) timer = setTimeout(tick, this.deps.config.pollIntervalMs);
      })();
    };
    timer = setTimeout(tick, this.deps.config.pollIntervalMs);
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  }

  /** Takes and sends one batch of due deliveries; returns how many it took. */
  async runOnce(): Promise<number> {
    const claimed = await claimDue(this.deps.db, this.deps.config.concurrency, this.leaseMs);
    await Promise.all(claimed.map((delivery) => this.send(delivery)));
    return claimed.length;
  }

  private async send(delivery: ClaimedDelivery): Promise<void> {
    const { config, logger } = this.deps;
    let result: PostResult;
    try {
      const secret = this.deps.webhooks.openSecret(
        delivery.tenant_id,
        delivery.endpoint_id,
        delivery.secret_sealed,
      );
      result = await postTo(
        new URL(delivery.url),
        delivery.payload,
        {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-hellojohn-event': delivery.event_type,
          'x-hellojohn-delivery-id': delivery.id,
          'x-hellojohn-signature': signatureHeader(secret, delivery.payload, Math.floor(Date.now() / 1000)),
        },
        { timeoutMs: config.timeoutMs, allowPrivate: config.allowPrivateNetworks },
      );
    } catch (error) {
      result = { error: `not sent: ${(error as Error).message}`.slice(0, 200), durationMs: 0 };
    }
    const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
    const error = ok
      ? null
      : (result.error ??
        `HTTP ${result.status}${result.status! >= 300 && result.status! < 400 ? ' (redirects are not followed)' : ''}`);
    const outcome = ok
      ? { status: 'delivered' as const }
      : delivery.attempts >= config.maxAttempts
        ? { status: 'failed' as const }
        : { status: 'pending' as const, retryInMs: backoffMs(config, delivery.attempts) };
    try {
      await recordAttempt(
        this.deps.db,
        delivery.id,
        delivery.attempts,
        { statusCode: result.status ?? null, error, durationMs: result.durationMs },
        outcome,
      );
    } catch (recordError) {
      // The endpoint was deleted meanwhile (its deliveries with it), or the database is away: the lease
      // ends and the delivery, if it still exists, is sent again.
      logger.warn(
        { err: (recordError as Error).message, delivery_id: delivery.id },
        'webhook attempt not recorded',
      );
    }
    if (outcome.status === 'failed')
      logger.warn(
        { delivery_id: delivery.id, endpoint_id: delivery.endpoint_id, attempts: delivery.attempts, error },
        'webhook delivery failed for good',
      );
  }
}
