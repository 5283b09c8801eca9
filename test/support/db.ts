// A fresh, empty database per test: a new database on the real server (dropped afterwards), or a new
// PGlite data directory copied from a template made once per run.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { ADMIN_URL, DATABASE_VIA, PGBOUNCER_URL, backend } from './env.js';

export interface TestDatabase {
  backend: 'postgres' | 'pglite';
  /** Environment that points hellojohn at this database (merge into a child process's env). */
  env: Record<string, string>;
  /** The database name on the real server (postgres only). */
  name?: string;
  /** How the application's DATABASE_URL reaches it (postgres only). */
  via?: 'direct' | 'pgbouncer';
  config(extra?: Record<string, string>): Config;
  /** Runs SQL as a superuser on this database (postgres), or opens it briefly (pglite, no server running). */
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

const baseEnv = { DATABASE_CONNECT_TIMEOUT: '5s' };

export function urlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/** The URL the application uses for `database`: straight to the server, or through PgBouncer. */
export function appUrlFor(database: string, via: 'direct' | 'pgbouncer' = DATABASE_VIA): string {
  return urlFor(via === 'pgbouncer' ? PGBOUNCER_URL! : ADMIN_URL!, database);
}

/**
 * `CREATE DATABASE` for the application: owned by the PgBouncer user when the application goes through
 * PgBouncer (it logs in as that user, so it must be able to create its tables).
 */
export async function createAppDatabase(name: string, via: 'direct' | 'pgbouncer' = DATABASE_VIA) {
  const owner = via === 'pgbouncer' ? decodeURIComponent(new URL(PGBOUNCER_URL!).username) : undefined;
  await adminQuery('postgres', `CREATE DATABASE ${name}${owner ? ` OWNER "${owner}"` : ''}`);
}

export async function adminQuery<Row = Record<string, unknown>>(
  database: string,
  text: string,
  params?: unknown[],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: urlFor(ADMIN_URL!, database) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

/**
 * `via` defaults to TEST_DATABASE_VIA (direct unless set): a test that must talk to PostgreSQL itself
 * (session features, pg_dump of what the app sees, connection counting) passes `via: 'direct'`.
 */
export async function createTestDatabase(
  options: { via?: 'direct' | 'pgbouncer' } = {},
): Promise<TestDatabase> {
  if (backend === 'postgres') {
    const name = `hj_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const via = options.via ?? DATABASE_VIA;
    await createAppDatabase(name, via);
    const env = { ...baseEnv, DATABASE_URL: appUrlFor(name, via) };
    return {
      backend,
      env,
      name,
      via,
      config: (extra = {}) => loadConfig({ ...env, ...extra }),
      sql: (text, params) => adminQuery(name, text, params),
      drop: async () => {
        await adminQuery('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-test-'));
  const template = process.env.TEST_PGLITE_TEMPLATE;
  if (template) cpSync(template, path.join(dir, 'pglite'), { recursive: true });
  const env = { ...baseEnv, DATA_DIR: dir };
  return {
    backend,
    env,
    config: (extra = {}) => loadConfig({ ...env, ...extra }),
    sql: async <Row>(text: string, params?: unknown[]) => {
      const { PGlite } = await import('@electric-sql/pglite');
      const db = await PGlite.create(path.join(dir, 'pglite'));
      try {
        return (await db.query<Row>(text, params)).rows;
      } finally {
        await db.close();
      }
    },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
