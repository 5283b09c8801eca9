// Where a server's answers spend CPU: its own process (every thread) and the PostgreSQL backends
// connected to its database, read from /proc (Linux). A load run takes a snapshot when its measured
// window opens and one when it closes, so the report can give CPU per answer next to the answers per second: on a
// saturated machine, the ratio of two servers' CPU per answer is the throughput ratio the cores allow.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Seconds of CPU (user + system). */
export interface CpuReading {
  server: number;
  postgres: number;
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux architecture Node supports. */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process, in ticks; 0 when it is gone or unreadable. */
function ticks(pid: string | number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * PostgreSQL backends serving `database`: their command line reads
 * `postgres: [cluster: ]user database host(port) state`.
 */
function backendsOf(database: string): string[] {
  const pids: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.startsWith('postgres: ') && cmdline.split(' ').includes(database)) pids.push(entry);
  }
  return pids;
}

/** Ticks used so far by the server process and by each backend of its database. */
export interface CpuSnapshot {
  server: number;
  backends: Map<string, number>;
}

/**
 * A snapshot taker for a server process and its database's backends, or undefined where /proc is not
 * there. Backends are looked up at every snapshot: one that started between two snapshots counts whole;
 * one that exited between them takes its time with it, so the PostgreSQL figure is a lower bound (pools
 * keep their connections during a run, so in practice it is the whole).
 */
export function cpuSnapshots(pid: number, database: string): (() => CpuSnapshot) | undefined {
  if (pid <= 0 || !existsSync(`/proc/${pid}/stat`)) return undefined;
  return () => ({
    server: ticks(pid),
    backends: new Map(backendsOf(database).map((backend) => [backend, ticks(backend)])),
  });
}

/** CPU seconds spent between two snapshots. */
export function cpuSpent(from: CpuSnapshot, to: CpuSnapshot): CpuReading {
  let postgres = 0;
  for (const [backend, now] of to.backends) postgres += now - (from.backends.get(backend) ?? 0);
  return { server: (to.server - from.server) / TICKS_PER_SECOND, postgres: postgres / TICKS_PER_SECOND };
}
