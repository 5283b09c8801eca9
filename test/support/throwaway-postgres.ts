// A PostgreSQL server of a test's own, in a temporary directory on a free loopback port, that the test
// may stop and start at will without touching the shared server. Built from the installed server binaries
// (/usr/lib/postgresql/<version>/bin) and run as the `postgres` OS user, so the test must run as root
// (unlessAvailable({ root: true }) says so). Stopping and starting are asynchronous, so a load running in
// the same process keeps going (and keeps measuring) while the server goes away.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.js';

const exec = promisify(execFile);

export interface ThrowawayPostgres {
  port: number;
  dir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>?sslmode=disable` (trust authentication). */
  url(database?: string): string;
  /** Runs SQL through psql as the superuser; returns the unaligned, tuples-only output. */
  psql(sql: string, database?: string): Promise<string>;
  /** `pg_ctl stop`: `immediate` kills every backend at once, like a crash or a cut cable. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>;
  running(): boolean;
  /** Stops the server (if running) and removes the directory. */
  destroy(): Promise<void>;
}

export interface ThrowawayOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** pg_hba.conf; the default trusts local sockets and 127.0.0.1. */
  hba?: string;
}

/** The newest PostgreSQL installed under /usr/lib/postgresql/<version>/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}/*/bin`);
  return path.join(root, versions[0]!, 'bin');
}

const asPostgres = (file: string, args: string[]) =>
  exec('runuser', ['-u', 'postgres', '--', file, ...args], { maxBuffer: 16 * 1024 * 1024 });

export async function startThrowawayPostgres(options: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const binDir = postgresBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-pg-'));
  const dataDir = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  await exec('chown', ['postgres:postgres', dir]);
  // prettier-ignore
  await asPostgres(path.join(binDir, 'initdb'), [
    '-D', dataDir, '--auth=trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C',
  ]);
  writeFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    options.hba ?? 'local all all trust\nhost all all 127.0.0.1/32 trust\n',
  );
  await exec('chown', ['postgres:postgres', path.join(dataDir, 'pg_hba.conf')]);

  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    full_page_writes: 'off',
    ...options.settings,
  };
  const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  let running = false;

  const server: ThrowawayPostgres = {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}?sslmode=disable`,
    psql: async (sql, database = 'postgres') => {
      // prettier-ignore
      const { stdout } = await exec('psql', [
        '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database,
        '-v', 'ON_ERROR_STOP=1', '-qAtX', '-c', sql,
      ]);
      return stdout.trim();
    },
    stop: async (mode = 'immediate') => {
      if (!running) return;
      await asPostgres(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
      running = false;
    },
    start: async () => {
      running = true; // from here on, destroy() stops whatever pg_ctl may have started
      // prettier-ignore
      await asPostgres(path.join(binDir, 'pg_ctl'), [
        '-D', dataDir, '-l', log, '-o', serverOptions, '-w', '-t', '30', 'start',
      ]);
    },
    running: () => running,
    destroy: async () => {
      try {
        if (running) await server.stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.destroy().catch(() => {});
    throw error;
  }
  return server;
}
