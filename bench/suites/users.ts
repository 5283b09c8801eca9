// The admin API's user list with 1,000,000 users in the tenant: the first page and a page deep in the
// list (a cursor 900,000 users in), with and without an email-prefix filter, each under load on a
// HelloJohn with its default settings. The users are inserted by one INSERT … SELECT generate_series
// (no password hashing: the list does not read hashes), spread over the past ~12 days, then ANALYZEd.
// Target (issue #18): p99 under 50 ms.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Suite, SuiteContext } from '../lib/context.js';
import { drain, runLoad } from '../lib/load.js';
import { databaseUrl } from '../lib/postgres.js';
import type { Outcome, Row } from '../lib/report.js';
import { startHelloJohn } from '../lib/servers.js';
import type { Queryable } from '../../src/db/database.js';
import { listUsers, type UserListFilter } from '../../src/modules/users-admin/repository.js';
import type { RunningServer } from '../lib/process.js';

const USERS = 1_000_000;
const DEEP = 900_000;
const TARGET = { kind: 'absolute' as const, minRps: 50, maxP99Ms: 50 };

async function adminToken(context: SuiteContext, url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bin/hellojohn.js', 'admin', 'create', '--email', 'bench@example.com', '--json'],
    { cwd: context.config.root, env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' } },
  );
  return (JSON.parse(stdout) as { token: string }).token;
}

/** The list's cursor at a row: what the API's next_cursor would be after it (see the module's service). */
async function cursorAt(db: pg.Client, where: string, offset: number): Promise<string> {
  const row = (
    await db.query<{ at: string; id: string }>(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id
         FROM users WHERE ${where} ORDER BY created_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [offset],
    )
  ).rows[0];
  if (!row) throw new Error(`no row at offset ${offset} of ${where}`);
  return Buffer.from(`${row.at}|${row.id}`).toString('base64url');
}

/**
 * The list query alone, as the repository runs it (no HTTP, no token check): 30 sequential runs, median
 * and maximum, so the table's latencies can be read against what PostgreSQL spends.
 */
async function queryTimes(
  db: pg.Client,
  tenantId: string,
  filter: UserListFilter,
  cursor: string | null,
): Promise<string> {
  const after = cursor ? Buffer.from(cursor, 'base64url').toString('utf8').split('|') : null;
  const queryable: Queryable = {
    query: async <Row>(sql: string, params?: readonly unknown[]) => {
      const result = await db.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    exec: async (sql: string) => {
      await db.query(sql);
    },
  };
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await listUsers(queryable, tenantId, filter, after ? { createdAt: after[0]!, id: after[1]! } : null, 51);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return `median ${times[15]!.toFixed(1)} ms, max ${times[29]!.toFixed(1)} ms`;
}

async function measure(
  context: SuiteContext,
  server: RunningServer,
  name: string,
  path: string,
  token: string,
): Promise<Outcome> {
  const { connections, durationSec, warmupSec } = context.config;
  const request = { method: 'GET' as const, path, headers: { authorization: `Bearer ${token}` } };
  try {
    // Every answer must be a full page: a 200 with fewer users would be a wrong query, not a fast one.
    const check = await fetch(`${server.baseUrl}${path}`, { headers: request.headers });
    const body = (await check.json()) as { users?: unknown[] };
    if (check.status !== 200 || body.users?.length !== 50)
      throw new Error(`${path}: ${check.status}, ${body.users?.length ?? 0} users`);
    context.log(`  ${name}: ${warmupSec} s warm-up + ${durationSec} s × ${connections} connections`);
    const m = await runLoad(request, { baseUrl: server.baseUrl, connections, warmupSec, durationSec });
    await drain(server.baseUrl, request);
    context.log(
      `  ${name}: ${m.rps.toFixed(1)} req/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`,
    );
    return m;
  } catch (error) {
    context.log(`  ${name}: failed: ${(error as Error).message}`);
    return { error: (error as Error).message };
  }
}

export const usersSuite: Suite = {
  id: 'users',
  title: 'Admin API: listing users (1,000,000 in the tenant)',
  async run(context) {
    const server = await startHelloJohn(context);
    const url = databaseUrl(context.config.pg, server.database!);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const rows: Row[] = [];
    try {
      const started = performance.now();
      context.log(`  seeding ${USERS.toLocaleString('en-US')} users (one INSERT … SELECT generate_series)`);
      await db.query(
        `INSERT INTO users (tenant_id, email, email_normalized, email_verified, created_at, updated_at)
         SELECT t.id, 'user' || g || '@bench.example', 'user' || g || '@bench.example', g % 3 = 0,
                now() - (($1::int - g) * interval '1 second'), now()
           FROM tenants t, generate_series(1, $1::int) g WHERE t.slug = 'default'`,
        [USERS],
      );
      await db.query('ANALYZE users');
      const seedSec = (performance.now() - started) / 1000;
      context.log(`  seeded in ${seedSec.toFixed(1)} s`);
      const token = await adminToken(context, url);
      const base = '/v2/admin/tenants/default/users';
      // 'user9': 111,111 users; 'user12345': 11.
      const deep = await cursorAt(db, 'true', DEEP);
      const deepPrefix = await cursorAt(db, `email_normalized LIKE 'user9%'`, 100_000);
      const tenantId = (await db.query<{ id: string }>("SELECT id FROM tenants WHERE slug = 'default'"))
        .rows[0]!.id;
      const scenarios: [string, string, UserListFilter, string | null][] = [
        ['First page', `${base}?limit=50`, {}, null],
        [
          `Deep page (cursor ${DEEP.toLocaleString('en-US')} users in)`,
          `${base}?limit=50&cursor=${deep}`,
          {},
          deep,
        ],
        [
          'First page, email prefix (111,111 match)',
          `${base}?limit=50&email=user9`,
          { emailPrefix: 'user9' },
          null,
        ],
        [
          'Deep page, email prefix (cursor 100,000 matches in)',
          `${base}?limit=50&email=user9&cursor=${deepPrefix}`,
          { emailPrefix: 'user9' },
          deepPrefix,
        ],
        ['First page, verified=true', `${base}?limit=50&verified=true`, { verified: true }, null],
      ];
      const queryNotes: string[] = [];
      for (const [scenario, , filter, cursor] of scenarios)
        queryNotes.push(`${scenario}: ${await queryTimes(db, tenantId, filter, cursor)}`);
      queryNotes.push(
        `Email prefix matching 11 users: ${await queryTimes(db, tenantId, { emailPrefix: 'user12345' }, null)}`,
      );
      context.log(`  list query alone: ${queryNotes.join('; ')}`);
      const narrow = `${base}?limit=50&email=user12345`;
      for (const [scenario, path] of scenarios) {
        const outcome = await measure(context, server, scenario, path, token);
        rows.push({
          scenario,
          ours: {
            label: `GET ${path.split('&cursor=')[0]}${path.includes('cursor=') ? '&cursor=…' : ''}`,
            outcome,
          },
          target: TARGET,
        });
      }
      // A narrow prefix returns fewer than a page: measured without the full-page check.
      const { connections, durationSec, warmupSec } = context.config;
      const request = { method: 'GET' as const, path: narrow, headers: { authorization: `Bearer ${token}` } };
      const m = await runLoad(request, { baseUrl: server.baseUrl, connections, warmupSec, durationSec });
      context.log(
        `  narrow prefix: ${m.rps.toFixed(1)} req/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`,
      );
      rows.push({
        scenario: 'Email prefix matching 11 users',
        ours: { label: `GET ${narrow}`, outcome: m },
        target: TARGET,
      });
      return {
        id: 'users',
        title: 'Admin API: listing users (1,000,000 in the tenant)',
        ourName: 'HelloJohn',
        peerName: '—',
        rows,
        notes: [
          `${USERS.toLocaleString('en-US')} users in the default tenant, inserted in ${seedSec.toFixed(0)} s by one INSERT … SELECT generate_series, then ANALYZE.`,
          'Keyset pagination on (created_at, id), newest first; indexes (tenant_id, created_at, id) and (tenant_id, email_normalized text_pattern_ops) (migration 18).',
          'Each request authenticates its admin token (a database lookup) before the list query.',
          `The list query alone (the repository's statement over one connection, 30 sequential runs): ${queryNotes.join('; ')}.`,
        ],
      };
    } finally {
      await db.end();
      await server.stop();
    }
  },
};
