// What every benchmark suite gets from the harness, and what it gives back.
import type { PgServer } from './postgres.js';
import type { Resources } from './resources.js';
import type { SectionReport } from './report.js';

export interface BenchConfig {
  /** Repository root (where package.json is). */
  root: string;
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** Users seeded on each server. */
  users: number;
  /** Database pool size of each server under test (same for HelloJohn and the peer). */
  dbPool: number;
  pg: PgServer;
  /** Build HelloJohn (tsc -p tsconfig.build.json) before starting it. */
  build: boolean;
  /** Suffix that makes this run's database names unique. */
  runId: string;
}

export interface SuiteContext {
  config: BenchConfig;
  resources: Resources;
  log: (line: string) => void;
}

export interface Suite {
  /** Names the doc section: <!-- bench:<id>:start -->. */
  id: string;
  title: string;
  run(context: SuiteContext): Promise<SectionReport>;
}
