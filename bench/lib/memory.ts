// Idle memory: a running server's resident set size, read from /proc/<pid>/status (Linux) once it has
// answered /ready and then been left idle for a while.
//
// Two moments, because V8 decides when an idle heap shrinks: at IDLE_MS the heap still has the size its
// startup grew it to (the young generation at its largest, old-space pages freed by the last collection
// still held); V8's memory reducer gives that back on its own some 20-30 s later, without any request
// (SETTLED_MS). Both are reported; the target is judged at IDLE_MS.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SuiteContext } from './context.js';
import type { RunningServer } from './process.js';
import { startHelloJohn, startPeer } from './servers.js';

/** How long after /ready answers the idle RSS is read. */
export const IDLE_MS = 5_000;
/** How long after /ready the settled RSS is read (after V8's memory reducer has run). */
export const SETTLED_MS = 40_000;
/** Issue #20's target for HelloJohn on PostgreSQL with default settings, at IDLE_MS. */
export const IDLE_TARGET_MIB = 100;

export interface ProcessMemory {
  /** VmRSS: resident memory, anonymous + file-backed + shared, in MiB. */
  rssMiB: number;
  /** RssAnon: the heaps (V8's, malloc's) and thread stacks, in MiB. */
  anonMiB: number;
  /** RssFile: mapped files (the node binary, shared libraries, native addons), in MiB. */
  fileMiB: number;
  threads: number;
}

/** The process's memory as /proc/<pid>/status gives it now. */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  const mib = (name: string) => Math.round((field(name) / 1024) * 10) / 10;
  return {
    rssMiB: mib('VmRSS'),
    anonMiB: mib('RssAnon'),
    fileMiB: mib('RssFile'),
    threads: field('Threads'),
  };
}

/**
 * The memory of a server that has just answered /ready (startServer returns then), read after `idleMs`
 * more of idleness, and again at each later moment given: e.g. `[IDLE_MS, SETTLED_MS]`.
 */
export async function idleMemory(
  pid: number,
  moments: readonly number[] = [IDLE_MS],
): Promise<ProcessMemory[]> {
  const readings: ProcessMemory[] = [];
  const start = Date.now();
  for (const at of moments) {
    await sleep(Math.max(0, at - (Date.now() - start)));
    readings.push(await processMemory(pid));
  }
  return readings;
}

/** Starts `start()`'s server alone, reads its idle memory at IDLE_MS and SETTLED_MS, and stops it. */
async function idleReadings(start: () => Promise<RunningServer>): Promise<ProcessMemory[] | string> {
  let server: RunningServer | undefined;
  try {
    server = await start();
    return await idleMemory(server.pid, [IDLE_MS, SETTLED_MS]);
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? 'failed';
  } finally {
    await server?.stop();
  }
}

/**
 * The oidc suite's note on idle memory: HelloJohn (`node bin/hellojohn.js serve`, PostgreSQL, default
 * settings) and node-oidc-provider (bench/peers/oidc-provider.ts, run with tsx), each started on its own
 * fresh database and measured with nothing else running.
 */
export async function idleMemoryNote(context: SuiteContext): Promise<string> {
  const ours = await idleReadings(() => startHelloJohn(context));
  const peer = await idleReadings(() => startPeer(context, 'oidc-provider', 'oidc-provider.ts'));
  const show = (r: ProcessMemory[] | string) =>
    typeof r === 'string'
      ? `n/a (${r})`
      : `${r[0]!.rssMiB} MiB at ${IDLE_MS / 1000} s, ${r[1]!.rssMiB} MiB at ${SETTLED_MS / 1000} s`;
  const judged =
    typeof ours === 'string' ? 'not judged' : ours[0]!.rssMiB < IDLE_TARGET_MIB ? 'met' : '**not met**';
  return (
    `Idle memory (RSS from /proc/<pid>/status, read ${IDLE_MS / 1000} s and ${SETTLED_MS / 1000} s after ` +
    `/ready, no request in between; each server alone on a fresh database): HelloJohn ${show(ours)}; ` +
    `oidc-provider ${show(peer)} (run through tsx, whose loader counts in its RSS). Target: HelloJohn ` +
    `< ${IDLE_TARGET_MIB} MiB at ${IDLE_MS / 1000} s: ${judged}. See docs/benchmarks.md, "Idle memory".`
  );
}
