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
