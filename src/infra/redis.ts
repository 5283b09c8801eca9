// The optional Redis connection. Commands fail fast while Redis is down (no offline queue), so callers
// fall back (the rate limiters to their in-memory insurance) instead of waiting; ioredis reconnects by
// itself and the warning is logged once per outage. ioredis (about 2 MB of heap) is imported only when
// REDIS_URL is set.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How long a connection must stay up before a new drop counts as a new outage (and is logged). */
const STABLE_MS = 5_000;

export async function connectRedis(
  url: string,
  logger: Logger,
  onAvailability: (up: boolean) => void,
): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Logged once per outage (and once if Redis is unreachable from the start), not on every retry. A
  // connection that drops again within STABLE_MS of coming back is the same outage flapping: not logged again.
  let up = false;
  let warnedAt = 0;
  let readyAt = 0;
  client.on('ready', () => {
    logger.info('Redis connected');
    up = true;
    readyAt = Date.now();
    onAvailability(true);
  });
  const down = (reason: string) => {
    const now = Date.now();
    if (warnedAt === 0 || (readyAt > warnedAt && now - readyAt >= STABLE_MS)) {
      logger.warn({ err: reason }, 'Redis unavailable: using in-memory fallbacks until it returns');
      warnedAt = now;
    }
    if (up) onAvailability(false);
    up = false;
  };
  client.on('error', (error: Error) => down(error.message));
  client.on('close', () => down('connection closed'));
  return client;
}
