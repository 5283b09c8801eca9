// `npm run build && npx tsx bench/idle-memory.ts`: the idle memory of `node bin/hellojohn.js serve` with
// default settings (APP_ENV=dev), on PostgreSQL (a fresh database on BENCH_PG_URL, by default
// postgres://postgres@127.0.0.1:5432/postgres) and on the embedded PGlite (DATABASE_URL unset, a fresh
// data directory, measured at its first start, which runs initdb, and again at a restart on it). Each
// server is started alone and left idle after /ready; its RSS (with the anonymous and file-backed parts,
// and the thread count) is read at IDLE_MS and SETTLED_MS (bench/lib/memory.ts).
// BENCH_IDLE_ONLY=pg or =pglite measures one of the two.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IDLE_MS, SETTLED_MS, idleMemory, type ProcessMemory } from './lib/memory.js';
import { createDatabase, databaseUrl, dropDatabase } from './lib/postgres.js';
import { freePort, startServer } from './lib/process.js';
import { Resources } from './lib/resources.js';

const root = path.resolve(import.meta.dirname, '..');
const pg = { adminUrl: process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres' };
const HOST = '127.0.0.1';

async function measure(
  kind: 'pg' | 'pglite',
  dataDir: string,
  resources: Resources,
): Promise<ProcessMemory[]> {
  const env: Record<string, string> = {};
  if (kind === 'pg') {
    const name = `hellojohn_idle_${process.pid}`;
    await dropDatabase(pg, name);
    await createDatabase(pg, name);
    resources.add(`drop database ${name}`, () => dropDatabase(pg, name));
    env.DATABASE_URL = databaseUrl(pg, name);
  }
  const port = await freePort(HOST);
  const server = await startServer(
    {
      name: `hellojohn (${kind})`,
      command: process.execPath,
      args: ['bin/hellojohn.js', 'serve'],
      cwd: root,
      env: {
        // The harness's own environment is passed on (startServer): DATABASE_URL must not leak into PGlite's.
        DATABASE_URL: '',
        ...env,
        HOST,
        PORT: String(port),
        MANAGEMENT_PORT: String(await freePort(HOST)),
        BASE_URL: `http://${HOST}:${port}`,
        DATA_DIR: dataDir,
        APP_ENV: 'dev',
        LOG_LEVEL: 'warn',
      },
      baseUrl: `http://${HOST}:${port}`,
      readyPath: '/ready',
    },
    resources,
  );
  try {
    return await idleMemory(server.pid, [IDLE_MS, SETTLED_MS]);
  } finally {
    await server.stop();
  }
}

const only = process.env.BENCH_IDLE_ONLY;
const resources = new Resources();
try {
  const runs = [
    { label: 'pg', kind: 'pg', fresh: true },
    { label: 'pglite, first start', kind: 'pglite', fresh: true },
    { label: 'pglite, restart', kind: 'pglite', fresh: false },
  ] as const;
  let dataDir = '';
  for (const { label, kind, fresh } of runs) {
    if (only && only !== kind) continue;
    if (fresh) {
      const dir = await mkdtemp(path.join(tmpdir(), 'hellojohn-idle-'));
      resources.add(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
      dataDir = dir;
    }
    const readings = await measure(kind, dataDir, resources);
    for (const [i, at] of [IDLE_MS, SETTLED_MS].entries()) {
      const r = readings[i]!;
      console.log(
        `${label}, ${at / 1000} s after /ready: RSS ${r.rssMiB} MiB ` +
          `(anonymous ${r.anonMiB}, files ${r.fileMiB}), ${r.threads} threads`,
      );
    }
  }
} finally {
  await resources.release((line) => console.error(line));
}
