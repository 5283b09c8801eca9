// `npm run bench`: every suite against servers it starts itself on real PostgreSQL, one server under
// load at a time; prints each suite's table and rewrites that suite's section of docs/benchmarks.md.
//
// Environment (all optional):
//   BENCH_DURATION     seconds per measured window (10)     BENCH_WARMUP       seconds of warm-up (3)
//   BENCH_CONNECTIONS  concurrent connections (20)          BENCH_USERS        users seeded per server (200)
//   BENCH_DB_POOL      database pool size per server (10)   BENCH_SUITES       comma-separated suite ids (all)
//   BENCH_PG_URL       maintenance database URL (postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_SKIP_BUILD=1 use the existing dist/ instead of building   BENCH_NO_DOC=1 do not touch the doc
//   BENCH_TIMEOUT      seconds before the whole run gives up and cleans up (1800)
//   BENCH_PGBOUNCER_URL, BENCH_REDIS_URL   for the cluster suite (see bench/suites/cluster.ts)
//
// Exit code: 0 when every scenario ran without a failed request, 1 otherwise (targets not met are
// reported in the table, not in the exit code), 2 on a usage error.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchConfig, Suite, SuiteContext } from './lib/context.js';
import { clean } from './lib/load.js';
import { serverVersion } from './lib/postgres.js';
import { renderSection, writeSection, type RunInfo, type SectionReport } from './lib/report.js';
import { Resources } from './lib/resources.js';
import { authSuite } from './suites/auth.js';
import { clusterSuite } from './suites/cluster.js';
import { oidcSuite } from './suites/oidc.js';
import { usersSuite } from './suites/users.js';
import { webhooksSuite } from './suites/webhooks.js';

/** Later suites are added here. */
const SUITES: Suite[] = [authSuite, oidcSuite, clusterSuite, usersSuite, webhooksSuite];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(root, 'docs', 'benchmarks.md');

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

class UsageError extends Error {}

/** The command as run, with the BENCH_* settings that were given, for the doc. */
function commandLine(): string {
  const settings = Object.keys(process.env)
    .filter((k) => k.startsWith('BENCH_') && process.env[k] !== '')
    .sort()
    .map((k) => `${k}=${process.env[k]}`);
  return [...settings, 'npm run bench'].join(' ');
}

function packageVersion(name: string): string {
  try {
    const file = path.join(root, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function gitRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
      encoding: 'utf8',
    });
    return dirty.trim() ? `${head} + uncommitted changes in src/` : head;
  } catch {
    return 'unknown';
  }
}

async function runInfo(config: BenchConfig): Promise<RunInfo> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = loadavg()[0] ?? 0;
  const cores = availableParallelism();
  const memGiB = Math.round(totalmem() / 2 ** 30);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine:
      `${cores} cores (nproc), ${cpu}, ${memGiB} GiB RAM, ${process.platform}/${process.arch}, ` +
      `load average ${load.toFixed(2)} (1 min) at start`,
    versions:
      `Node ${process.version}, PostgreSQL ${await serverVersion(config.pg)}, HelloJohn ${gitRevision()}, ` +
      `better-auth ${packageVersion('better-auth')}, autocannon ${packageVersion('autocannon')}`,
    command: commandLine(),
    settings:
      `${config.durationSec} s measured per scenario after ${config.warmupSec} s warm-up in the same run, ${config.connections} connections, ` +
      `pipelining 1, load generator in the same machine (loopback)`,
    ...(load > cores / 2
      ? {
          warning:
            `the machine was busy before the run started (load average ${load.toFixed(2)} on ${cores} cores): ` +
            'other processes competed for the CPU, so these numbers understate both servers; re-run on an idle machine.',
        }
      : {}),
  };
}

function allClean(section: SectionReport): boolean {
  return section.rows.every((row) =>
    [row.ours, row.peer].every((side) => !side || (!('error' in side.outcome) && clean(side.outcome))),
  );
}

async function main(): Promise<number> {
  const config: BenchConfig = {
    root,
    durationSec: intEnv('BENCH_DURATION', 10, 1, 600),
    warmupSec: intEnv('BENCH_WARMUP', 3, 0, 120),
    connections: intEnv('BENCH_CONNECTIONS', 20, 1, 1000),
    users: intEnv('BENCH_USERS', 200, 1, 10_000),
    dbPool: intEnv('BENCH_DB_POOL', 10, 1, 200),
    pg: { adminUrl: process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres' },
    build: process.env.BENCH_SKIP_BUILD !== '1',
    runId: `${process.pid}_${Date.now().toString(36)}`,
  };
  const timeoutSec = intEnv('BENCH_TIMEOUT', 1800, 10, 86_400);
  const wanted = (process.env.BENCH_SUITES ?? '').split(',').filter(Boolean);
  const unknown = wanted.filter((id) => !SUITES.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.id).join(', ')}`,
    );
  }
  const suites = wanted.length > 0 ? SUITES.filter((s) => wanted.includes(s.id)) : SUITES;

  const resources = new Resources();
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= resources.release(log));
  const abort = (why: string, code: number) => {
    log(`bench: ${why}; stopping servers and dropping databases`);
    void cleanup().finally(() => process.exit(code));
  };
  const onSignal = (signal: NodeJS.Signals) => abort(`received ${signal}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => abort(`BENCH_TIMEOUT (${timeoutSec} s) reached`, 1), timeoutSec * 1000);

  let ok = true;
  try {
    const info = await runInfo(config);
    log(`bench: ${info.machine}; ${info.versions}`);
    if (info.warning) log(`bench: warning: ${info.warning}`);
    const context: SuiteContext = { config, resources, log };
    for (const suite of suites) {
      log(`bench: suite ${suite.id}`);
      const section = await suite.run(context);
      ok &&= allClean(section);
      const markdown = renderSection(section, info);
      process.stdout.write(`\n${markdown}\n\n`);
      if (process.env.BENCH_NO_DOC === '1') continue;
      await writeSection(DOC, suite.id, markdown);
      log(`bench: wrote section "${suite.id}" of ${path.relative(root, DOC)}`);
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!ok) log('bench: some scenarios had failed requests or could not run (see the table)');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
