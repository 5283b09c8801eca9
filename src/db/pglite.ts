// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in DATA_DIR. One connection, so
// PGlite itself serialises queries and transactions. Meant for development and first runs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { HelloJohnError } from '../errors.js';
import type { Database, PoolStats, QueryResult, Queryable } from './database.js';

/**
 * PostgreSQL's buffer cache inside PGlite. initdb writes 128 MB (PostgreSQL's default) into the data
 * directory's postgresql.conf, and PGlite's WebAssembly memory holds all of it resident: about 160 MB of
 * an idle server's RSS. A development database's working set fits in far less, and a page that is not
 * cached is read from the data directory's files (the operating system's cache), not lost: 16 MB
 * (docs/benchmarks.md, "Idle memory"). Given on the command line, so it applies to existing data
 * directories too; WAL buffers follow it (1/32).
 */
const SHARED_BUFFERS = '16MB';

export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  try {
    const db = await PGlite.create(dataDir, {
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
    });
    return new PgliteDatabase(db, dataDir, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

/**
 * PGlite is an in-process database: two processes opening the same directory each keep their own copy
 * in memory and the last to close overwrites the other's writes. So a data directory has one owner at a
 * time, recorded in a lock file with its pid; a lock whose process is gone is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const file = path.join(dataDir, 'hellojohn.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new HelloJohnError(
          'database_in_use',
          `the embedded database in ${dataDir} is in use by process ${owner} (a running hellojohn?). ` +
            'Stop it first, or set DATABASE_URL to use PostgreSQL, which many processes can share',
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new HelloJohnError('database_in_use', `cannot lock the embedded database in ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  readonly description: string;
  private pending = 0;

  constructor(
    private readonly db: PGlite,
    dataDir: string,
    private readonly unlock: () => void,
  ) {
    this.description = `embedded PGlite in ${dataDir}`;
  }

  query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.track(() => runQuery<Row>(this.db, sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.track(async () => {
      await this.db.exec(sql);
    });
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.track(() =>
      this.db.transaction((tx) =>
        fn({
          query: <Row>(sql: string, params?: readonly unknown[]) => runQuery<Row>(tx, sql, params),
          exec: async (sql: string) => {
            await tx.exec(sql);
          },
        }),
      ),
    );
  }

  poolStats(): PoolStats {
    const busy = Math.min(this.pending, 1);
    return { total: 1, idle: 1 - busy, waiting: Math.max(this.pending - 1, 0), max: 1 };
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } finally {
      this.unlock();
    }
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await work();
    } finally {
      this.pending--;
    }
  }
}

async function runQuery<Row>(
  target: PGlite | Transaction,
  sql: string,
  params?: readonly unknown[],
): Promise<QueryResult<Row>> {
  const result = await target.query<Row>(sql, params as unknown[] | undefined);
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}
