// The documented backup and restore procedure: pg_dump -Fc, drop, create, pg_restore, hellojohn migrate.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { FAST_ARGON2, STRONG_PASSWORD } from './support/app.js';
import { runCli, startServerProcess, type ServerProcess } from './support/cli.js';
import { adminQuery, appUrlFor, createAppDatabase, createTestDatabase, urlFor } from './support/db.js';
import { ADMIN_URL, unlessAvailable } from './support/env.js';
import { timedRequest } from './support/load.js';

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
      await createAppDatabase(db.name!, db.via);
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

test(
  'restore drill: users, sessions, refresh tokens and signing keys survive pg_dump → restore → migrate',
  { skip: unlessAvailable({ postgres: true }), timeout: 120_000 },
  async (t) => {
    const db = await createTestDatabase();
    const restoredName = `${db.name!}_restored`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-drill-'));
    const dump = path.join(dir, 'hellojohn.dump');
    // What an operator keeps outside the database backup: the master keys, and the public URL (the issuer
    // of every token) stays the same across the restore.
    const env = {
      ...FAST_ARGON2,
      SIGNING_MASTER_KEY: 'c'.repeat(64),
      SECRETBOX_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
      BASE_URL: 'https://id.example.test',
    };
    const issuer = env.BASE_URL;
    let before: ServerProcess | undefined;
    let after: ServerProcess | undefined;
    try {
      // Before: a user with two sessions, a refresh token already rotated once, the keys in use.
      before = await startServerProcess({ ...db.env, ...env });
      const email = 'drill@example.com';
      const registered = await timedRequest(before.url, 'POST', '/v2/auth/register', {
        email,
        password: STRONG_PASSWORD,
        name: 'Drill',
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const rotated = await timedRequest(before.url, 'POST', '/v2/auth/refresh', {
        refresh_token: registered.body.refresh_token,
      });
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const oldRefresh = String(rotated.body.refresh_token);
      const oldAccess = String(rotated.body.access_token);
      const login = await timedRequest(before.url, 'POST', '/v2/auth/login', {
        email,
        password: STRONG_PASSWORD,
      });
      assert.equal(login.status, 200);
      const jwksBefore = (await (await fetch(`${before.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      assert.ok(jwksBefore.keys.length > 0);
      assert.equal(await before.stop(), 0);
      before = undefined;

      // The documented procedure: dump, restore into a new database, migrate, check.
      await run('pg_dump', ['-Fc', '-f', dump, '-d', urlFor(ADMIN_URL!, db.name!)]);
      await createAppDatabase(restoredName, db.via);
      // Restored as the role the application logs in as, as the docs do it (pg_restore -U hellojohn).
      const owner =
        db.via === 'pgbouncer' ? decodeURIComponent(new URL(db.env.DATABASE_URL!).username) : null;
      // prettier-ignore
      await run('pg_restore', [
        '--exit-on-error', '--no-owner', ...(owner ? [`--role=${owner}`] : []),
        '-d', urlFor(ADMIN_URL!, restoredName), dump,
      ]);
      const restoredEnv = { ...db.env, DATABASE_URL: appUrlFor(restoredName, db.via) };
      const migrate = await runCli(['migrate'], restoredEnv);
      assert.equal(migrate.code, 0, migrate.stderr);
      const status = await runCli(['migrate', 'status', '--json'], restoredEnv);
      assert.equal(status.code, 0, status.stdout);
      const keysList = await runCli(['keys', 'list', '--json'], { ...restoredEnv, ...env });
      assert.equal(keysList.code, 0, keysList.stderr);
      for (const key of jwksBefore.keys)
        assert.ok(keysList.stdout.includes(key.kid), `key ${key.kid} restored`);

      // After: a new server on the restored copy, same master keys and public URL.
      after = await startServerProcess({ ...restoredEnv, ...env });
      const jwks = createRemoteJWKSet(new URL(`${after.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(oldAccess, jwks, { issuer, typ: 'at+jwt' });
      assert.equal(payload.sub, (registered.body.user as { id: string }).id);

      const me = await timedRequest(after.url, 'GET', '/v2/me', undefined, {
        headers: { authorization: `Bearer ${oldAccess}` },
      });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.email, email);

      const sessions = await timedRequest(after.url, 'GET', '/v2/auth/sessions', undefined, {
        headers: { authorization: `Bearer ${oldAccess}` },
      });
      assert.equal(sessions.status, 200, JSON.stringify(sessions.body));
      const list = (sessions.body.sessions ?? sessions.body) as unknown[];
      assert.equal(Array.isArray(list) ? list.length : -1, 2, JSON.stringify(sessions.body));

      const refreshed = await timedRequest(after.url, 'POST', '/v2/auth/refresh', {
        refresh_token: oldRefresh,
      });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      const newAccess = String(refreshed.body.access_token);
      assert.equal((await jwtVerify(newAccess, jwks, { issuer })).payload.sub, payload.sub);

      const relogin = await timedRequest(after.url, 'POST', '/v2/auth/login', {
        email,
        password: STRONG_PASSWORD,
      });
      assert.equal(relogin.status, 200, JSON.stringify(relogin.body));
      // Reuse detection survived too: the token rotated before the backup is still known as rotated.
      const reused = await timedRequest(after.url, 'POST', '/v2/auth/refresh', {
        refresh_token: registered.body.refresh_token,
      });
      assert.equal(reused.status, 400, JSON.stringify(reused.body));
      t.diagnostic(
        `restored ${jwksBefore.keys.length} signing key(s); old access and refresh tokens accepted`,
      );
      assert.equal(await after.stop(), 0);
      after = undefined;
    } finally {
      before?.child.kill('SIGKILL');
      after?.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      await adminQuery('postgres', `DROP DATABASE IF EXISTS ${restoredName} WITH (FORCE)`);
      await db.drop();
    }
  },
);
