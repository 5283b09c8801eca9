// A fresh database per test: a new database on the real server (dropped afterwards), or a new PGlite data
// directory copied from a template. Empty, or (`migrated`) already at the build's schema: copied from a
// template migrated once for this exact migration sequence (its versions and checksums name it), so the
// hundred test servers of a run do not each run every migration.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
export async function createAppDatabase(
  name: string,
  via: 'direct' | 'pgbouncer' = DATABASE_VIA,
  template?: string,
) {
  const owner = via === 'pgbouncer' ? decodeURIComponent(new URL(PGBOUNCER_URL!).username) : undefined;
  await adminQuery(
    'postgres',
    `CREATE DATABASE ${name}${owner ? ` OWNER "${owner}"` : ''}${template ? ` TEMPLATE ${template}` : ''}`,
  );
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
  options: {
    via?: 'direct' | 'pgbouncer';
    /** Start at the schema of the modules the build ships (the migrations already applied). */
    migrated?: boolean;
  } = {},
): Promise<TestDatabase> {
  if (backend === 'postgres') {
    const name = `hj_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const via = options.via ?? DATABASE_VIA;
    if (options.migrated) await createAppDatabase(name, via, await migratedPostgresTemplate(via));
    else await createAppDatabase(name, via);
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
  const template = options.migrated ? await migratedPgliteTemplate() : process.env.TEST_PGLITE_TEMPLATE;
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

// --- migrated templates ------------------------------------------------------------------------------------

/** The build's migration sequence and a name for it (its versions and checksums). */
async function buildSchema() {
  const { migrationSequence } = await import('../../src/composition.js');
  const { checksumOf } = await import('../../src/db/migrator.js');
  const sequence = migrationSequence();
  const hash = createHash('sha256')
    .update(sequence.map((m) => `${m.version}:${checksumOf(m)}`).join(','))
    .digest('hex')
    .slice(0, 16);
  return { sequence, hash };
}

async function migrateAt(env: Record<string, string>): Promise<void> {
  const { migrate } = await import('../../src/db/migrator.js');
  const { openDatabase } = await import('../../src/db/open.js');
  const pino = (await import('pino')).default;
  const { sequence } = await buildSchema();
  const db = await openDatabase(loadConfig({ ...baseEnv, ...env }), pino({ level: 'silent' }));
  try {
    await migrate(db, sequence, { appVersion: 'test', allowNewerSchema: false });
  } finally {
    await db.close();
  }
}

const templates = new Map<string, Promise<string>>();

/**
 * A database at the build's schema to copy (CREATE DATABASE … TEMPLATE), made once per migration sequence
 * by whichever test process gets there first (the others wait on an advisory lock) and kept for later runs.
 * Through PgBouncer the tables must belong to PgBouncer's user, so that template is migrated as that user,
 * but directly: PgBouncer would keep connections to it open, and a template must have none.
 */
function migratedPostgresTemplate(via: 'direct' | 'pgbouncer'): Promise<string> {
  let made = templates.get(via);
  if (!made) {
    made = (async () => {
      const { hash } = await buildSchema();
      const name = `hj_tpl_${via === 'pgbouncer' ? 'b' : 'd'}_${hash}`;
      const client = new pg.Client({ connectionString: urlFor(ADMIN_URL!, 'postgres') });
      await client.connect();
      const lock = Number.parseInt(hash.slice(0, 8), 16) + (via === 'pgbouncer' ? 1 : 0);
      try {
        await client.query('SELECT pg_advisory_lock($1)', [lock]);
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) {
          const building = `${name}_build`;
          await client.query(`DROP DATABASE IF EXISTS ${building}`);
          await createAppDatabase(building, via);
          const url = new URL(urlFor(ADMIN_URL!, building));
          if (via === 'pgbouncer') {
            const user = new URL(PGBOUNCER_URL!);
            url.username = user.username;
            url.password = user.password;
          }
          await migrateAt({ DATABASE_URL: url.toString() });
          await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lock]).catch(() => {});
        await client.end();
      }
      return name;
    })();
    templates.set(via, made);
  }
  return made;
}

/** A PGlite data directory at the build's schema, made once per migration sequence (a lock directory). */
function migratedPgliteTemplate(): Promise<string> {
  let made = templates.get('pglite');
  if (!made) {
    made = (async () => {
      const { hash } = await buildSchema();
      const home = path.join(os.tmpdir(), `hellojohn-pglite-migrated-${hash}`);
      const ready = path.join(home, '.ready');
      const lock = `${home}.lock`;
      while (!existsSync(ready)) {
        try {
          mkdirSync(lock);
        } catch {
          // Another process builds it; a lock older than two minutes was left by one that died.
          if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 120_000)
            rmSync(lock, { recursive: true, force: true });
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        try {
          rmSync(home, { recursive: true, force: true });
          mkdirSync(home, { recursive: true });
          const empty = process.env.TEST_PGLITE_TEMPLATE;
          if (empty) cpSync(empty, path.join(home, 'pglite'), { recursive: true });
          await migrateAt({ DATA_DIR: home });
          writeFileSync(ready, '');
        } finally {
          rmSync(lock, { recursive: true, force: true });
        }
      }
      return path.join(home, 'pglite');
    })();
    templates.set('pglite', made);
  }
  return made;
}
