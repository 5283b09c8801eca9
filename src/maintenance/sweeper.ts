// Deletes expired sessions, refresh tokens, email tokens, codes and client-assertion jtis, and audit events past their retention, in
// small batches, on a timer. Short statements keep locks brief; a cap per run keeps one run from
// monopolising the pool (a large backlog is worked off over several runs).
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import {
  SWEEP_TARGETS,
  deleteExpiredBatch,
  deleteOldAuditEventsBatch,
  deleteOldTenantAuditEventsBatch,
  tenantsWithOwnAuditRetention,
} from '../db/repositories/sweeper.js';

const MAX_BATCHES_PER_TARGET = 50;

export interface SweepResult {
  /** Rows deleted per table (the core's) or per job (modules'). */
  deleted: Record<string, number>;
}

/**
 * One pass; `auditRetentionMs` 0 keeps audit events forever, except in tenants with a retention of their
 * own (settings.audit.retention_days; 0 there keeps theirs forever whatever AUDIT_RETENTION says).
 */
export async function sweepOnce(
  db: Database,
  batchSize: number,
  auditRetentionMs = 0,
  jobs: readonly SweeperJob[] = [],
): Promise<SweepResult> {
  const core = {
    refresh_tokens: 0,
    email_tokens: 0,
    authorization_codes: 0,
    sessions: 0,
    client_assertion_jtis: 0,
    audit_events: 0,
  };
  for (const target of Object.keys(SWEEP_TARGETS) as (keyof typeof SWEEP_TARGETS)[]) {
    for (let batch = 0; batch < MAX_BATCHES_PER_TARGET; batch++) {
      const count = await deleteExpiredBatch(db, target, batchSize);
      core[target] += count;
      if (count < batchSize) break;
    }
  }
  for (let batch = 0; auditRetentionMs > 0 && batch < MAX_BATCHES_PER_TARGET; batch++) {
    const count = await deleteOldAuditEventsBatch(db, auditRetentionMs, batchSize);
    core.audit_events += count;
    if (count < batchSize) break;
  }
  for (const { id, days } of await tenantsWithOwnAuditRetention(db)) {
    for (let batch = 0; days > 0 && batch < MAX_BATCHES_PER_TARGET; batch++) {
      const count = await deleteOldTenantAuditEventsBatch(db, id, days, batchSize);
      core.audit_events += count;
      if (count < batchSize) break;
    }
  }
  const deleted: Record<string, number> = { ...core };
  for (const job of jobs) {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_TARGET; batch++) {
      const count = await job.run(db, batchSize);
      total += count;
      if (count < batchSize) break;
    }
    deleted[job.name] = total;
  }
  return { deleted };
}

/** Periodic clean-up a feature module needs (expired rows of its own tables), run after the core's. */
export interface SweeperJob {
  name: string;
  /** Deletes at most `batchSize` expired rows; returns how many it deleted. */
  run(db: Database, batchSize: number): Promise<number>;
}

export function startSweeper(
  db: Database,
  options: Config['sweeper'],
  logger: Logger,
  onRun: (result: 'ok' | 'error') => void = () => {},
  jobs: readonly SweeperJob[] = [],
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweepOnce(db, options.batchSize, options.auditRetentionMs, jobs)
      .then(({ deleted }) => {
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        onRun('ok');
        if (total > 0) logger.info({ deleted }, 'sweeper removed expired rows');
      })
      .catch((error: unknown) => {
        onRun('error');
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'sweeper run failed');
      })
      .finally(() => {
        running = null;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
