// How `hellojohn db check` judges what it measures (src/db/health-check.ts): the monitoring thresholds
// of the database docs, and the shape of one check's result.
//
//   | Metric             | Warning                  | Critical  |
//   | Active connections | >80% of max_connections  | >90%      |
//   | Query time (p99)   | >200ms                   | >1s       |
//   | Dead tuples        | >10,000 per table        | >100,000  |
//   | Cache hit rate     | <95%                     | <90%      |
//   | Replication lag    | >30s                     | >5min     |
import { isTransient } from './postgres.js';
import { ServiceUnavailableError } from '../errors.js';

export type Status = 'ok' | 'warning' | 'critical' | 'unavailable';

/** `above`: larger values are worse (lag, dead tuples). `below`: smaller values are worse (cache hit rate). */
export type Direction = 'above' | 'below';

export interface Thresholds {
  warning: number;
  critical: number;
}

export interface CheckResult {
  /** Stable identifier for scripts. */
  name: string;
  /** Label for people. */
  label: string;
  /** The measured value in `unit`, or null when there is nothing to measure (no replicas, no data). */
  value: number | null;
  unit: string;
  /** The value as people read it ("12.0%", "no replicas"). */
  display: string;
  warning: number;
  critical: number;
  direction: Direction;
  status: Status;
  /** How the value was measured, what it refers to (worst table, worst statement), or why it is unavailable. */
  detail: string;
}

export const THRESHOLDS = {
  connections: { warning: 80, critical: 90 },
  queryP99: { warning: 200, critical: 1_000 },
  deadTuples: { warning: 10_000, critical: 100_000 },
  cacheHitRate: { warning: 95, critical: 90 },
  replicationLag: { warning: 30, critical: 300 },
} as const satisfies Record<string, Thresholds>;

/**
 * The status of `value` against `thresholds`. Crossing means strictly beyond: with `above`, 80 against
 * a warning of 80 is still ok; with `below`, 95 against a warning of 95 is still ok.
 */
export function evaluate(
  value: number,
  thresholds: Thresholds,
  direction: Direction,
): Exclude<Status, 'unavailable'> {
  if (direction === 'above') {
    if (value > thresholds.critical) return 'critical';
    if (value > thresholds.warning) return 'warning';
    return 'ok';
  }
  if (value < thresholds.critical) return 'critical';
  if (value < thresholds.warning) return 'warning';
  return 'ok';
}

/** The worst of several statuses; `unavailable` counts as ok. */
export function overallStatus(statuses: readonly Status[]): Exclude<Status, 'unavailable'> {
  if (statuses.includes('critical')) return 'critical';
  if (statuses.includes('warning')) return 'warning';
  return 'ok';
}

/** The process exit code of `hellojohn db check`: 0 ok, 1 warning, 2 critical. */
export function exitCodeFor(status: Status): 0 | 1 | 2 {
  return status === 'critical' ? 2 : status === 'warning' ? 1 : 0;
}

export type Spec = Pick<CheckResult, 'name' | 'label' | 'unit' | 'warning' | 'critical' | 'direction'>;

export function measured(spec: Spec, value: number, display: string, detail: string): CheckResult {
  return {
    ...spec,
    value,
    display,
    detail,
    status: evaluate(value, { warning: spec.warning, critical: spec.critical }, spec.direction),
  };
}

export function fixed(spec: Spec, status: Status, display: string, detail: string): CheckResult {
  return { ...spec, value: null, display, detail, status };
}

/**
 * Runs one check. A failed query becomes `unavailable` with PostgreSQL's message; a lost or refused
 * connection is rethrown (the database is unreachable, which is not a property of one metric).
 */
export async function guarded(spec: Spec, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof ServiceUnavailableError || isTransient(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return fixed(spec, 'unavailable', '-', `cannot measure: ${message}`);
  }
}

export const num = (value: unknown): number => (value === null || value === undefined ? NaN : Number(value));
export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
