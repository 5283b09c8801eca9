// The first console admin, both ways, through the real binary: `hellojohn admin create <email> --console`
// with the password on standard input (the admin row and API key as before, plus the account: verified,
// holding the admin role, audited without the password), a refused password leaving nothing behind; and
// HELLOJOHN_ADMIN_EMAIL/_PASSWORD at `serve` startup, which makes the account once and never overwrites it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD, startTestApp } from '../../../test/support/app.js';
import { runCli, unlessFeatureCommands } from '../../../test/support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';

describe('the first console admin', { skip: unlessFeatureCommands() }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;

  before(async () => {
    testDb = await createTestDatabase();
    env = { ...testDb.env, ...FAST_ARGON2, BASE_URL: 'http://127.0.0.1:8080' };
    const migrated = await runCli(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => testDb.drop());

  const consoleAccount = async (email: string) =>
    (
      await testDb.sql<{ id: string; email_verified: boolean; admin: boolean }>(
        `SELECT u.id, u.email_verified,
                EXISTS (SELECT 1 FROM rbac_user_roles ur JOIN rbac_roles r ON r.id = ur.role_id
                         WHERE ur.user_id = u.id AND r.name = 'admin') AS admin
           FROM users u JOIN tenants t ON t.id = u.tenant_id
          WHERE t.slug = 'admin' AND u.email_normalized = $1`,
        [email],
      )
    )[0];

  test('admin create <email> --console, the password from standard input', async () => {
    const weak = await runCli(
      ['admin', 'create', 'weak@example.com', '--console'],
      env,
      60_000,
      'password\n',
    );
    assert.equal(weak.code, 1, weak.stderr);
    assert.equal(await consoleAccount('weak@example.com'), undefined);
    const admins = await testDb.sql(`SELECT 1 FROM admins WHERE email = 'weak@example.com'`);
    assert.equal(admins.length, 0, 'a refused password leaves no admin or key behind');

    const made = await runCli(
      ['admin', 'create', 'ops@example.com', '--console', '--json'],
      env,
      60_000,
      `${STRONG_PASSWORD}\n`,
    );
    assert.equal(made.code, 0, made.stderr);
    const out = JSON.parse(made.stdout) as { token: string; console: { created: boolean; url: string } };
    assert.match(out.token, /^hj_admin_/);
    assert.deepEqual(out.console.created, true);
    assert.equal(out.console.url, 'http://127.0.0.1:8080/admin/');
    assert.ok(!made.stdout.includes(STRONG_PASSWORD) && !made.stderr.includes(STRONG_PASSWORD));
    const account = await consoleAccount('ops@example.com');
    assert.ok(account, 'the account is in the admin tenant');
    assert.equal(account.email_verified, true);
    assert.equal(account.admin, true);
    const events = await testDb.sql<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE type = 'admin.console_account_created'`,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.data.email, 'ops@example.com');
    assert.equal(events[0]!.data.via, 'cli');
    assert.ok(!JSON.stringify(events).includes(STRONG_PASSWORD));

    const text = await runCli(
      ['admin', 'create', '--email', 'ops@example.com', '--console'],
      env,
      60_000,
      'x\n',
    );
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /existing console account kept/);
    assert.match(text.stdout, /http:\/\/127\.0\.0\.1:8080\/admin\//);

    const both = await runCli(['admin', 'create', 'a@example.com', '--email', 'b@example.com'], env);
    assert.equal(both.code, 2, both.stderr);
  });

  test('HELLOJOHN_ADMIN_EMAIL/_PASSWORD at startup: made once, never overwritten', async () => {
    const fresh = await createTestDatabase();
    after(() => fresh.drop());
    const boot = { HELLOJOHN_ADMIN_EMAIL: 'boot@example.com' };
    const login = (base: string, password: string) =>
      fetch(`${base}/v2/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'boot@example.com', password, tenant_id: 'admin' }),
      }).then((r) => r.status);
    const first = await serveOn(fresh, { ...boot, HELLOJOHN_ADMIN_PASSWORD: STRONG_PASSWORD });
    try {
      const config = (await (await fetch(`${first.base}/admin/config.json`)).json()) as {
        admin_exists: boolean;
      };
      assert.equal(config.admin_exists, true);
      assert.equal(await login(first.base, STRONG_PASSWORD), 200);
      assert.match(first.logs(), /console admin created from the environment/);
      assert.ok(!first.logs().includes(STRONG_PASSWORD), 'the password is not logged');
    } finally {
      await first.close();
    }
    const other = 'Another-Long-Passphrase-77';
    const second = await serveOn(fresh, { ...boot, HELLOJOHN_ADMIN_PASSWORD: other });
    try {
      assert.equal(await login(second.base, STRONG_PASSWORD), 200, 'the first password still works');
      assert.equal(await login(second.base, other), 401, 'the new one was not set');
      assert.match(second.logs(), /a console admin exists/);
    } finally {
      await second.close();
    }
    const users = await fresh.sql(
      `SELECT u.email FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = 'admin'`,
    );
    assert.deepEqual(users, [{ email: 'boot@example.com' }], 'one console admin, the first');
  });
});

/** The server in this process on the test database, as `serve` builds it (its onReady steps included). */
async function serveOn(database: TestDatabase, env: Record<string, string>) {
  let output = '';
  const t = await startTestApp(env, { database, log: (line) => void (output += line) });
  return { base: t.base, logs: () => output, close: () => t.close() };
}
