// Servers under test run as child processes on free loopback ports. Start waits (bounded) for a ready
// URL; stop sends SIGTERM, then SIGKILL after a grace period. The last lines of output are kept for
// error messages, so a server that dies on start says why.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Resources } from './resources.js';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  baseUrl: string;
  /** Path polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
}

/** The database a server's DATABASE_URL names (its backends are part of its cost). */
function databaseOf(env: Record<string, string>): string | undefined {
  try {
    return env.DATABASE_URL ? decodeURIComponent(new URL(env.DATABASE_URL).pathname.slice(1)) : undefined;
  } catch {
    return undefined;
  }
}

export interface RunningServer {
  name: string;
  baseUrl: string;
  pid: number;
  /** The database it was started on (from DATABASE_URL), if any. */
  database?: string;
  /** Last lines the server wrote (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_LINES = 40;

export async function startServer(spec: ServerSpec, resources: Resources): Promise<RunningServer> {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (lines.length > OUTPUT_LINES) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      lines.push(`spawn error: ${error.message}`);
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const output = () => lines.join('\n');
  const release = resources.add(`stop ${spec.name}`, () =>
    terminate(child, exit, () => exited !== undefined),
  );

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await release();
      throw new Error(
        `${spec.name} exited during start (code ${exited.code ?? '-'}, signal ${exited.signal ?? '-'}):\n${output()}`,
      );
    }
    if (Date.now() > deadline) {
      await release();
      throw new Error(`${spec.name} not ready at ${spec.baseUrl}${spec.readyPath} in time:\n${output()}`);
    }
    try {
      const response = await fetch(`${spec.baseUrl}${spec.readyPath}`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  const database = databaseOf(spec.env);
  return {
    name: spec.name,
    baseUrl: spec.baseUrl,
    pid: child.pid ?? -1,
    ...(database ? { database } : {}),
    output,
    stop: release,
  };
}

async function terminate(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  child.kill('SIGTERM');
  const graceful = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
  if (!graceful && !hasExited()) {
    child.kill('SIGKILL');
    await Promise.race([exit, sleep(5_000)]);
  }
}
