// Starting the servers under test, each on a fresh database of its own that is dropped afterwards.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SuiteContext } from './context.js';
import { createDatabase, databaseUrl, dropDatabase } from './postgres.js';
import { freePort, startServer, type RunningServer } from './process.js';

export const HOST = '127.0.0.1';

/** A fresh database on the benchmark's PostgreSQL server, dropped when the run's resources are released. */
export async function freshDatabase(context: SuiteContext, prefix: string): Promise<string> {
  const name = `${prefix}_${context.config.runId}`;
  const { pg } = context.config;
  await dropDatabase(pg, name);
  await createDatabase(pg, name);
  context.resources.add(`drop database ${name}`, () => dropDatabase(pg, name));
  return databaseUrl(pg, name);
}

let build: Promise<void> | undefined;

/** `tsc -p tsconfig.build.json` once per run, so the benchmark measures the current source. */
export function buildHelloJohn(context: SuiteContext): Promise<void> {
  build ??= new Promise<void>((resolve, reject) => {
    const tsc = path.join(context.config.root, 'node_modules', 'typescript', 'bin', 'tsc');
    const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: context.config.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      if (output.length < 4_000) output += chunk.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`build failed (tsc -p tsconfig.build.json, exit ${code}): ${output.trim()}`));
    });
  });
  return build;
}

/**
 * `node bin/hellojohn.js serve` on a fresh database (it migrates on start), with the rate limits and
 * lockout raised so the load is not throttled. Everything else stays at its defaults, including
 * Argon2id at OWASP parameters (19456 KiB, t=2, p=1).
 */
export async function startHelloJohn(context: SuiteContext, extraEnv: Record<string, string> = {}) {
  if (context.config.build) await buildHelloJohn(context);
  const url = await freshDatabase(context, 'hellojohn_bench');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'hellojohn-bench-'));
  context.resources.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort(HOST);
  const baseUrl = `http://${HOST}:${port}`;
  return startServer(
    {
      name: 'hellojohn',
      command: process.execPath,
      args: ['bin/hellojohn.js', 'serve'],
      cwd: context.config.root,
      env: {
        DATABASE_URL: url,
        DATABASE_MAX_CONNECTIONS: String(context.config.dbPool),
        HOST,
        PORT: String(port),
        // A free one: another server on this machine may hold the default 9000.
        MANAGEMENT_PORT: String(await freePort(HOST)),
        BASE_URL: baseUrl,
        DATA_DIR: dataDir,
        APP_ENV: 'dev',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_IP: '1000000',
        RATE_LIMIT_PER_ACCOUNT: '1000000',
        RATE_LIMIT_FAILURES_PER_IP: '1000000',
        RATE_LIMIT_PER_CLIENT: '1000000',
        LOGIN_MAX_FAILURES: '1000',
        ...extraEnv,
      },
      baseUrl,
      readyPath: '/ready',
    },
    context.resources,
  );
}

/** A peer implemented in bench/peers/<file>.ts, run with tsx on a fresh database of its own. */
export async function startPeer(context: SuiteContext, name: string, file: string): Promise<RunningServer> {
  const url = await freshDatabase(context, `${name.replace(/[^a-z0-9]/g, '')}_bench`);
  const port = await freePort(HOST);
  const baseUrl = `http://${HOST}:${port}`;
  return startServer(
    {
      name,
      command: process.execPath,
      args: ['--import', 'tsx', path.join('bench', 'peers', file)],
      cwd: context.config.root,
      env: {
        DATABASE_URL: url,
        DATABASE_MAX_CONNECTIONS: String(context.config.dbPool),
        HOST,
        PORT: String(port),
        NODE_ENV: 'production',
      },
      baseUrl,
      readyPath: '/ready',
    },
    context.resources,
  );
}
