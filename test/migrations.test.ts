import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrations } from '../src/composition.js';
import { runCli, startServerProcess } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/db.js';
import { unlessAvailable } from './support/env.js';

interface StatusJson {
  ok: boolean;
  pending: number;
  checksum_mismatches: number;
  unknown: number;
  migrations: {
    version: number;
    name: string;
    state: string;
    applied_at: string | null;
    checksum: string | null;
  }[];
}

const latest = migrations.at(-1)!;

describe('hellojohn migrate on a fresh database', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  test('status lists every migration as pending and exits 1, in text and JSON', async () => {
    const text = await runCli(['migrate', 'status'], db.env);
    assert.equal(text.code, 1, text.stderr);
    for (const m of migrations)
      assert.match(text.stdout, new RegExp(`${String(m.version).padStart(4, '0')}\\s+${m.name}\\s+PENDING`));
    assert.match(text.stdout, new RegExp(`0 applied, ${migrations.length} pending`));

    const json = await runCli(['migrate', 'status', '--json'], db.env);
    assert.equal(json.code, 1);
    const status = JSON.parse(json.stdout) as StatusJson;
    assert.equal(status.ok, false);
    assert.equal(status.pending, migrations.length);
    assert.deepEqual(
      status.migrations.map((m) => [m.version, m.state, m.applied_at]),
      migrations.map((m) => [m.version, 'pending', null]),
    );
  });

  test('migrate applies everything, then a second run applies nothing', async () => {
    const first = await runCli(['migrate'], db.env);
    assert.equal(first.code, 0, first.stderr);
    for (const m of migrations)
      assert.match(first.stdout, new RegExp(`applied ${String(m.version).padStart(4, '0')}_${m.name}`));

    const second = await runCli(['migrate'], db.env);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /^applied /m);
    assert.match(second.stdout, /nothing to apply/);

    const rows = await db.sql<{ version: number; app_version: string }>(
      'SELECT version, app_version FROM hellojohn_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      migrations.map((m) => m.version),
    );
  });

  test('status is clean after migrating, in text and JSON, and exits 0', async () => {
    const text = await runCli(['migrate', 'status'], db.env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`${migrations.length} applied, 0 pending`));
    assert.doesNotMatch(text.stdout, /PENDING|EDITED|UNKNOWN/);

    const json = await runCli(['migrate', 'status', '--json'], db.env);
    assert.equal(json.code, 0);
    const status = JSON.parse(json.stdout) as StatusJson;
    assert.equal(status.ok, true);
    assert.ok(
      status.migrations.every((m) => m.state === 'applied' && m.applied_at && m.checksum?.length === 64),
    );
  });

  test('the core schema is multi-tenant and seeds the default tenant exactly once', async () => {
    const tenants = await db.sql<{ slug: string }>(`SELECT slug FROM tenants`);
    assert.deepEqual(
      tenants.map((t) => t.slug),
      ['default'],
    );
    const columns = await db.sql<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns
        WHERE column_name = 'tenant_id' AND table_schema = current_schema() ORDER BY table_name`,
    );
    assert.deepEqual(
      columns.map((c) => c.table_name),
      [
        'admin_tokens',
        'audit_events',
        'authorization_codes',
        'client_assertion_jtis',
        'clients',
        'consents',
        'email_sign_ins',
        'email_tokens',
        'invitations',
        'mfa_code_factors',
        'mfa_one_time_codes',
        'mfa_recovery_codes',
        'mfa_totp',
        'mfa_user_settings',
        'passkey_challenges',
        'passkeys',
        'rbac_grant_resources',
        'rbac_resources',
        'rbac_roles',
        'rbac_user_roles',
        'refresh_tokens',
        'sessions',
        'signing_keys',
        'social_exchange_codes',
        'social_identities',
        'social_providers',
        'users',
        'webhook_deliveries',
        'webhook_endpoints',
      ],
    );
  });
});

describe('schema drift', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    const result = await runCli(['migrate'], db.env);
    assert.equal(result.code, 0, result.stderr);
  });
  after(() => db.drop());

  test('an edited migration is reported by status and stops serve', async () => {
    await db.sql(`UPDATE hellojohn_migrations SET checksum = repeat('0', 64) WHERE version = $1`, [
      latest.version,
    ]);
    try {
      const status = await runCli(['migrate', 'status'], db.env);
      assert.equal(status.code, 1);
      assert.match(status.stdout, /EDITED \(checksum mismatch\)/);
      const json = JSON.parse((await runCli(['migrate', 'status', '--json'], db.env)).stdout) as StatusJson;
      assert.equal(json.checksum_mismatches, 1);
      assert.equal(json.migrations.find((m) => m.version === latest.version)?.state, 'checksum_mismatch');

      const serve = await runCli(['serve'], { ...db.env, PORT: '0', HOST: '127.0.0.1' });
      assert.equal(serve.code, 1);
      assert.match(serve.stderr, /refusing to start: migration \d{4}_\w+ differs from the one applied/);

      const migrate = await runCli(['migrate'], db.env);
      assert.equal(migrate.code, 1, 'migrate must not paper over an edited migration');
    } finally {
      const { checksumOf } = await import('../src/db/migrator.js');
      await db.sql(`UPDATE hellojohn_migrations SET checksum = $1 WHERE version = $2`, [
        checksumOf(latest),
        latest.version,
      ]);
    }
  });

  test('a migration unknown to this binary is reported and stops serve unless ALLOW_NEWER_SCHEMA=true', async () => {
    // An instance already running when a newer release expands the schema stays ready. (PGlite is
    // single-process: its data directory cannot be written while a server has it open.)
    const running = db.backend === 'postgres' ? await startServerProcess(db.env) : null;
    await db.sql(
      `INSERT INTO hellojohn_migrations (version, name, checksum, duration_ms, app_version)
       VALUES (9999, 'from_the_future', repeat('f', 64), 1, '99.0.0')`,
    );
    try {
      if (running) {
        assert.equal((await fetch(`${running.url}/ready`)).status, 200);
        assert.equal(await running.stop(), 0);
      }

      const status = await runCli(['migrate', 'status'], db.env);
      assert.equal(status.code, 1);
      assert.match(status.stdout, /9999\s+from_the_future\s+UNKNOWN \(newer than this binary\)/);
      const json = JSON.parse((await runCli(['migrate', 'status', '--json'], db.env)).stdout) as StatusJson;
      assert.equal(json.unknown, 1);

      const serve = await runCli(['serve'], { ...db.env, PORT: '0', HOST: '127.0.0.1' });
      assert.equal(serve.code, 1);
      assert.match(
        serve.stderr,
        /refusing to start: the database has migrations this version does not know: 9999_from_the_future/,
      );
      assert.match(serve.stderr, /ALLOW_NEWER_SCHEMA/);

      const server = await startServerProcess({ ...db.env, ALLOW_NEWER_SCHEMA: 'true' });
      try {
        const ready = await fetch(`${server.url}/ready`);
        assert.equal(ready.status, 200);
      } finally {
        assert.equal(await server.stop(), 0);
      }
    } finally {
      running?.child.kill('SIGKILL');
      await db.sql(`DELETE FROM hellojohn_migrations WHERE version = 9999`);
    }
  });
});

describe('concurrent migrations', () => {
  for (const via of ['direct', 'pgbouncer'] as const) {
    const skip = unlessAvailable({ postgres: true, pgbouncer: via === 'pgbouncer' });
    test(`five migrate processes at once (${via}) apply each migration exactly once`, { skip }, async () => {
      const db = await createTestDatabase({ via });
      try {
        const results = await Promise.all(Array.from({ length: 5 }, () => runCli(['migrate'], db.env)));
        for (const result of results) assert.equal(result.code, 0, result.stderr);
        const appliedLines = results.flatMap((r) =>
          r.stdout.split('\n').filter((l) => l.startsWith('applied ')),
        );
        assert.equal(
          appliedLines.length,
          migrations.length,
          'each migration is applied by exactly one process',
        );
        const rows = await db.sql<{ version: number; n: number }>(
          'SELECT version, count(*)::int AS n FROM hellojohn_migrations GROUP BY version ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => [r.version, r.n]),
          migrations.map((m) => [m.version, 1]),
        );
        const tenants = await db.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM tenants WHERE slug = 'default'`,
        );
        assert.equal(tenants[0]?.n, 1);
      } finally {
        await db.drop();
      }
    });
  }
});
