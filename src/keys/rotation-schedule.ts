// Scheduled key rotation: every instance looks, now and then, for tenants whose active signing keys are
// older than KEY_ROTATION_INTERVAL and rotates them (KeyStore.rotate re-checks under the tenant's lock, so
// two instances rotate a tenant once). Retired keys stay published for KEY_ROTATION_GRACE, and the
// invalidation bus tells every instance at once.
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { tenantsWithKeysOlderThan } from '../db/repositories/signing-keys.js';
import type { KeyStore } from './key-store.js';

/** Tenants rotated per look at most; the rest wait for the next one. */
const TENANTS_PER_RUN = 50;

/** One look: rotates the tenants due; returns how many were rotated here. */
export async function rotateDueKeys(db: Database, keys: KeyStore, intervalMs: number): Promise<number> {
  let rotated = 0;
  for (const tenantId of await tenantsWithKeysOlderThan(db, intervalMs, TENANTS_PER_RUN)) {
    if (await keys.rotateIfOlderThan(tenantId, intervalMs)) rotated++;
  }
  return rotated;
}

export function startKeyRotationSchedule(
  db: Database,
  keys: KeyStore,
  options: { intervalMs: number; checkEveryMs: number },
  logger: Logger,
): { stop(): Promise<void> } {
  if (options.intervalMs === 0) return { stop: async () => {} };
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = rotateDueKeys(db, keys, options.intervalMs)
      .then((rotated) => {
        if (rotated > 0) logger.info({ tenants: rotated }, 'signing keys rotated on schedule');
      })
      .catch((error: unknown) => {
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'scheduled key rotation failed',
        );
      })
      .finally(() => {
        running = null;
      });
  }, options.checkEveryMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
