// The optional Redis connection. Commands fail fast while Redis is down (no offline queue), so callers
// fall back (the rate limiters to their in-memory insurance) instead of waiting; ioredis reconnects by
// itself and the warning is logged once per outage.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export function connectRedis(url: string, logger: Logger, onAvailability: (up: boolean) => void): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  // Logged once per outage (and once if Redis is unreachable from the start), not on every retry.
  let up = false;
  let warned = false;
  client.on('ready', () => {
    logger.info('Redis connected');
    up = true;
    warned = false;
    onAvailability(true);
  });
  const down = (reason: string) => {
    if (!warned) {
      logger.warn({ err: reason }, 'Redis unavailable: using in-memory fallbacks until it returns');
      warned = true;
    }
    if (up) onAvailability(false);
    up = false;
  };
  client.on('error', (error: Error) => down(error.message));
  client.on('close', () => down('connection closed'));
  return client;
}
