// The documented backup and restore procedure: pg_dump -Fc, drop, create, pg_restore, hellojohn migrate.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runCli } from './support/cli.js';
import { adminQuery, createTestDatabase, urlFor } from './support/db.js';
import { ADMIN_URL, unlessAvailable } from './support/env.js';

const run = promisify(execFile);

test(
  'a database restored from pg_dump, then migrated, is complete and clean',
  { skip: unlessAvailable({ postgres: true }) },
  async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-backup-'));
    const dump = path.join(dir, 'hellojohn.dump');
    const url = urlFor(ADMIN_URL!, db.name!);
    try {
      assert.equal((await runCli(['migrate'], db.env)).code, 0);
      await db.sql(`INSERT INTO tenants (slug, name) VALUES ('acme', 'Acme')`);
      await db.sql(
        `INSERT INTO users (tenant_id, email, email_normalized, name)
         SELECT id, 'Ada@Example.com', 'ada@example.com', 'Ada' FROM tenants WHERE slug = 'acme'`,
      );
      await db.sql(
        `INSERT INTO audit_events (tenant_id, type) SELECT id, 'user.created' FROM tenants WHERE slug = 'acme'`,
      );

      await run('pg_dump', ['-Fc', '-f', dump, '-d', url]);
      await adminQuery('postgres', `DROP DATABASE ${db.name} WITH (FORCE)`);
      await adminQuery('postgres', `CREATE DATABASE ${db.name}`);
      await run('pg_restore', ['--exit-on-error', '-d', url, dump]);

      const migrate = await runCli(['migrate'], db.env);
      assert.equal(migrate.code, 0, migrate.stderr);
      assert.match(migrate.stdout, /nothing to apply/);
      const status = await runCli(['migrate', 'status', '--json'], db.env);
      assert.equal(status.code, 0, status.stdout);
      assert.equal((JSON.parse(status.stdout) as { ok: boolean }).ok, true);

      const users = await db.sql<{ email: string; slug: string }>(
        `SELECT u.email, t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id`,
      );
      assert.deepEqual(users, [{ email: 'Ada@Example.com', slug: 'acme' }]);
      const events = await db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`);
      assert.equal(events[0]!.n, 1);
      // Identity columns continue after the restored rows instead of colliding with them.
      await db.sql(
        `INSERT INTO audit_events (tenant_id, type) SELECT id, 'after.restore' FROM tenants WHERE slug = 'acme'`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await db.drop();
    }
  },
);
