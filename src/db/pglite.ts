// The embedded database: PGlite (PostgreSQL compiled to WebAssembly) in DATA_DIR. One connection, so
// PGlite itself serialises queries and transactions. Meant for development and first runs.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, PoolStats, QueryResult, Queryable } from './database.js';

export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return new PgliteDatabase(db, dataDir);
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  readonly description: string;
  private pending = 0;

  constructor(
    private readonly db: PGlite,
    dataDir: string,
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
    await this.db.close();
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
