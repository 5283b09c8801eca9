// Throwaway databases for a benchmark run, created on the PostgreSQL server named by BENCH_PG_URL
// (default postgres://postgres@127.0.0.1:5432/postgres) and dropped again at the end.
import pg from 'pg';

export interface PgServer {
  /** Connection URL of the maintenance database, used to create and drop the others. */
  adminUrl: string;
}

/** `postgres://…/<name>?sslmode=disable` on the same server as the admin URL. */
export function databaseUrl(server: PgServer, name: string): string {
  const url = new URL(server.adminUrl);
  url.pathname = `/${name}`;
  url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

async function withAdmin<T>(server: PgServer, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  return `"${name}"`;
}

export async function createDatabase(server: PgServer, name: string): Promise<void> {
  await withAdmin(server, (c) => c.query(`CREATE DATABASE ${ident(name)}`));
}

export async function dropDatabase(server: PgServer, name: string): Promise<void> {
  // WITH (FORCE) (PostgreSQL 13+) ends connections a killed server may have left behind.
  await withAdmin(server, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
}

/** e.g. "15.20"; the full `version()` string is longer than a table cell wants. */
export async function serverVersion(server: PgServer): Promise<string> {
  return withAdmin(server, async (c) => {
    const result = await c.query<{ server_version: string }>('SHOW server_version');
    return (result.rows[0]?.server_version ?? 'unknown').split(' ')[0] ?? 'unknown';
  });
}

/**
 * Rows inserted or updated (row versions written) in `database` by what `call` does, per table: every
 * row version a later transaction writes carries a larger xmin (a fresh database is far from wraparound).
 * Exact, and read at once, unlike pg_stat_user_tables, which backends report up to seconds late; it needs
 * nothing else writing to the database meanwhile.
 */
export async function rowsWrittenBy(
  server: PgServer,
  database: string,
  call: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const client = new pg.Client({
    connectionString: databaseUrl(server, database),
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename',
    );
    const start = await client.query<{ xid: string }>('SELECT (txid_current() % 4294967296)::text AS xid');
    await call();
    const written: Record<string, number> = {};
    for (const { name } of tables.rows) {
      const r = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${ident(name)} WHERE xmin::text::bigint > $1::bigint`,
        [start.rows[0]!.xid],
      );
      if (Number(r.rows[0]!.n) > 0) written[name] = Number(r.rows[0]!.n);
    }
    return written;
  } finally {
    await client.end();
  }
}
