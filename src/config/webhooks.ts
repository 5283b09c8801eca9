// Signed webhooks (src/modules/webhooks/): where endpoints may point (SSRF), and how the delivery worker
// every serving instance runs polls, times out, retries and forgets.
import { boolean, duration, integer, type Reader } from './parse.js';

export interface WebhookConfig {
  /** Endpoints on loopback, private, link-local, CGNAT… addresses are accepted (tests, a closed network). */
  allowPrivateNetworks: boolean;
  /** `http://` endpoints are accepted (else https only). */
  allowHttp: boolean;
  /** One POST's limit: connect, send and receive the answer's status and headers. */
  timeoutMs: number;
  /** Attempts of one delivery before it is `failed` (the first included). */
  maxAttempts: number;
  /** The wait before the 2nd attempt; each next one doubles it (with jitter), up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often each instance looks for due deliveries. */
  pollIntervalMs: number;
  /** Deliveries one instance sends at once. */
  concurrency: number;
  /** Delivered and failed deliveries (and their attempts) are deleted by the sweeper after this. */
  retentionMs: number;
}

export function webhookConfig(read: Reader): WebhookConfig {
  return {
    allowPrivateNetworks: boolean(read, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
    allowHttp: boolean(read, 'WEBHOOK_ALLOW_HTTP', false),
    timeoutMs: duration(read, 'WEBHOOK_TIMEOUT', '10s', 100),
    maxAttempts: integer(read, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 30),
    backoffBaseMs: duration(read, 'WEBHOOK_BACKOFF_BASE', '30s', 10),
    backoffMaxMs: duration(read, 'WEBHOOK_BACKOFF_MAX', '6h', 10),
    pollIntervalMs: duration(read, 'WEBHOOK_POLL_INTERVAL', '1s', 10),
    concurrency: integer(read, 'WEBHOOK_CONCURRENCY', 10, 1, 200),
    retentionMs: duration(read, 'WEBHOOK_RETENTION', '30d', 60_000),
  };
}
