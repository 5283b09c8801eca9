// The management commands through the real `hellojohn` binary: clients create/list/rotate-secret/delete (text
// and --json, the secret printed once and stored only hashed), users create, tenants create/list and
// admin create; bad input exits 2 (usage) or 1 (refused) with one line on stderr and no stack trace.
// The server is not running while the CLI works (PGlite allows one process at a time); afterwards an
// app is built on the same database to check what the commands wrote.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { hashToken } from '../../src/crypto/tokens.js';
import { openDatabase } from '../../src/db/open.js';
import { FAST_ARGON2, STRONG_PASSWORD } from '../support/app.js';
import { runCli, type CliResult, unlessFeatureCommands } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** Exactly one line on stderr besides PGlite's development warning, and no stack trace. */
function oneLineError(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((line) => line && !line.includes('DATABASE_URL is not set'));
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

describe('hellojohn clients / users / tenants / admin', { skip: unlessFeatureCommands() }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  before(async () => {
    testDb = await createTestDatabase();
    env = { ...testDb.env, ...FAST_ARGON2 };
    const migrated = await cli('migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => testDb.drop());

  test('clients create --json prints the client with its secret once; the database holds only the hash', async () => {
    const result = await cli(
      'clients',
      'create',
      '--name',
      'Web app',
      '--type',
      'confidential',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--redirect-uri',
      'http://localhost:3000/cb',
      '--post-logout-redirect-uri',
      'https://app.example.com/bye',
      '--grant-types',
      'authorization_code, refresh_token,client_credentials',
      '--scopes',
      'openid,email',
      '--token-endpoint-auth-method',
      'client_secret_post',
      '--id-token-alg',
      'ES256',
      '--first-party',
      '--client-id',
      'web-app',
      '--json',
    );
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    const secret = json.client_secret as string;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(
      { ...json, client_secret: 'x', created_at: 'x' },
      {
        client_id: 'web-app',
        tenant: 'default',
        name: 'Web app',
        type: 'confidential',
        redirect_uris: ['https://app.example.com/cb', 'http://localhost:3000/cb'],
        post_logout_redirect_uris: ['https://app.example.com/bye'],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        scopes: ['openid', 'email'],
        first_party: true,
        id_token_signed_response_alg: 'ES256',
        resource_server: false,
        token_endpoint_auth_strict: false,
        default_acr_values: [],
        created_at: 'x',
        client_secret: 'x',
      },
    );
    assert.ok(!Number.isNaN(Date.parse(json.created_at as string)));
    const rows = await testDb.sql<{ secret_hash: Uint8Array }>(
      'SELECT secret_hash FROM clients WHERE client_id = $1',
      ['web-app'],
    );
    assert.deepEqual(Buffer.from(rows[0]!.secret_hash), hashToken(secret));

    // Listed afterwards: never with the secret.
    const list = await cli('clients', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.includes(secret), false);
    const listed = (JSON.parse(list.stdout) as { clients: Record<string, unknown>[] }).clients;
    assert.deepEqual(
      listed.map((c) => c.client_id),
      ['web-app'],
    );
  });

  test('clients create (text) shows the secret once with a warning; list shows a table', async () => {
    const result = await cli(
      'clients',
      'create',
      '--name',
      'Text app',
      '--type',
      'confidential',
      '--redirect-uri',
      'https://text.example.com/cb',
    );
    assert.equal(result.code, 0, result.stderr);
    const secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1];
    const clientId = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
    assert.ok(secret && clientId, result.stdout);
    assert.equal(result.stdout.split(secret).length, 2, 'the secret appears once');
    assert.match(result.stdout, /shown only once/);

    const pub = await cli(
      'clients',
      'create',
      '--name',
      'SPA',
      '--type',
      'public',
      '--redirect-uri',
      'com.example.app:/cb',
    );
    assert.equal(pub.code, 0, pub.stderr);
    assert.doesNotMatch(pub.stdout, /client_secret/);

    const list = await cli('clients', 'list');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0]!, /^CLIENT_ID\s+NAME\s+TYPE/);
    assert.equal(lines.length, 4, list.stdout);
    assert.ok(lines.some((line) => line.startsWith(clientId) && line.includes('confidential')));
    assert.equal(list.stdout.includes(secret), false);
  });

  test('clients rotate-secret prints a new secret once (text and --json); the hash follows', async () => {
    const rotated = await cli('clients', 'rotate-secret', 'web-app', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const json = JSON.parse(rotated.stdout) as Record<string, unknown>;
    assert.equal(json.client_id, 'web-app');
    const secret = json.client_secret as string;
    const rows = await testDb.sql<{ secret_hash: Uint8Array }>(
      'SELECT secret_hash FROM clients WHERE client_id = $1',
      ['web-app'],
    );
    assert.deepEqual(Buffer.from(rows[0]!.secret_hash), hashToken(secret));

    const text = await cli('clients', 'rotate-secret', '--tenant', 'default', 'web-app');
    assert.equal(text.code, 0, text.stderr);
    const second = /client_secret:\s+(\S+)/.exec(text.stdout)?.[1];
    assert.ok(second && second !== secret);
    assert.match(text.stdout, /shown only once/);

    const missing = await cli('clients', 'rotate-secret', 'no-such-client');
    assert.equal(missing.code, 1);
    assert.match(oneLineError(missing), /No client "no-such-client"/);
  });

  test('clients create --resource-server --token-endpoint-auth-strict; clients update changes them; clients delete removes it', async () => {
    const created = await cli(
      'clients',
      'create',
      '--name',
      'API',
      '--type',
      'confidential',
      '--grant-types',
      'client_credentials',
      '--resource-server',
      '--token-endpoint-auth-strict',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.equal(json.resource_server, true);
    assert.equal(json.token_endpoint_auth_strict, true);
    const clientId = json.client_id as string;

    const updated = await cli('clients', 'update', clientId, '--resource-server', 'false', '--json');
    assert.equal(updated.code, 0, updated.stderr);
    const after = JSON.parse(updated.stdout) as Record<string, unknown>;
    assert.equal(after.resource_server, false);
    assert.equal(after.token_endpoint_auth_strict, true);
    const text = await cli('clients', 'update', clientId, '--token-endpoint-auth-strict', 'false');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /token_endpoint_auth_strict:\s+no/);

    const nothing = await cli('clients', 'update', clientId);
    assert.equal(nothing.code, 1);
    assert.match(oneLineError(nothing), /resource_server, token_endpoint_auth_strict or default_acr_values/);
    const acr = await cli(
      'clients',
      'update',
      clientId,
      '--default-acr-values',
      'urn:hellojohn:loa:2,http://schemas.openid.net/pape/policies/2007/06/multi-factor',
      '--json',
    );
    assert.equal(acr.code, 0, acr.stderr);
    assert.deepEqual((JSON.parse(acr.stdout) as { default_acr_values: string[] }).default_acr_values, [
      'urn:hellojohn:loa:2',
      'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
    ]);
    const unknownAcr = await cli('clients', 'update', clientId, '--default-acr-values', 'urn:nope');
    assert.equal(unknownAcr.code, 1);
    assert.match(oneLineError(unknownAcr), /default_acr_values: "urn:nope" is not one of/);
    const cleared = await cli('clients', 'update', clientId, '--default-acr-values', '', '--json');
    assert.deepEqual((JSON.parse(cleared.stdout) as { default_acr_values: string[] }).default_acr_values, []);
    const badValue = await cli('clients', 'update', clientId, '--resource-server', 'maybe');
    assert.equal(badValue.code, 2);
    const missing = await cli('clients', 'update', 'no-such-client', '--resource-server', 'true');
    assert.equal(missing.code, 1);
    assert.match(oneLineError(missing), /No client "no-such-client"/);

    // Deleted: gone from the database, audited as done by the command line.
    const deleted = await cli('clients', 'delete', clientId, '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(JSON.parse(deleted.stdout), { client_id: clientId, tenant: 'default', deleted: true });
    assert.deepEqual(await testDb.sql('SELECT id FROM clients WHERE client_id = $1', [clientId]), []);
    const audit = await testDb.sql<{ data: Record<string, unknown> }>(
      "SELECT data FROM audit_events WHERE type = 'client.deleted'",
    );
    assert.deepEqual(
      audit.map((a) => [a.data.client_id, a.data.via]),
      [[clientId, 'cli']],
    );
  });

  test('refused client metadata exits 1 with one line; usage errors exit 2', async () => {
    // The full table of rules runs through the admin API (clients.test.ts); here, that the CLI reports them.
    const refused: [string[], RegExp][] = [
      [['--type', 'confidential', '--redirect-uri', 'http://app.example.com/cb'], /only loopback hosts/],
      [['--type', 'confidential', '--redirect-uri', 'com.example.app:/cb'], /custom scheme/],
      [
        ['--type', 'confidential', '--redirect-uri', 'https://a.example.com/cb', '--client-id', 'web-app'],
        /already taken/,
      ],
      [
        ['--type', 'confidential', '--redirect-uri', 'https://a.example.com/cb', '--tenant', 'nope'],
        /no tenant "nope"/,
      ],
    ];
    for (const [args, message] of refused) {
      const result = await cli('clients', 'create', '--name', 'Bad', ...args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(oneLineError(result), message, args.join(' '));
      assert.equal(result.stdout, '');
    }
    const usage: string[][] = [
      ['clients', 'create', '--name', 'x', '--type', 'trusted'],
      ['clients', 'create', '--type', 'public'],
      ['users', 'create', '--email', 'a@example.com'],
    ];
    for (const args of usage) {
      const result = await cli(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(oneLineError(result), /^error: /);
    }
    const count = await testDb.sql<{ n: string }>(
      "SELECT count(*) AS n FROM clients WHERE name IN ('Bad', 'x')",
    );
    assert.equal(Number(count[0]!.n), 0);
  });

  test('tenants create and list; clients are per tenant', async () => {
    const created = await cli('tenants', 'create', '--slug', 'acme', '--name', 'Acme Inc', '--json');
    assert.equal(created.code, 0, created.stderr);
    const tenant = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.equal(tenant.slug, 'acme');
    assert.match(tenant.issuer as string, /\/t\/acme$/);
    const again = await cli('tenants', 'create', '--slug', 'acme', '--name', 'Acme');
    assert.equal(again.code, 1);
    assert.match(oneLineError(again), /already exists/);
    const bad = await cli('tenants', 'create', '--slug', 'Not_A_Slug', '--name', 'x');
    assert.equal(bad.code, 1);
    assert.match(oneLineError(bad), /slug/);

    const list = await cli('tenants', 'list', '--json');
    assert.deepEqual(
      (JSON.parse(list.stdout) as { tenants: { slug: string }[] }).tenants.map((t) => t.slug),
      ['default', 'acme'],
    );
    const acmeClient = await cli(
      'clients',
      'create',
      '--tenant',
      'acme',
      '--name',
      'Acme app',
      '--type',
      'public',
      '--redirect-uri',
      'https://acme.example.com/cb',
      '--json',
    );
    assert.equal(acmeClient.code, 0, acmeClient.stderr);
    const acmeList = await cli('clients', 'list', '--tenant', 'acme', '--json');
    assert.deepEqual(
      (JSON.parse(acmeList.stdout) as { clients: { name: string; tenant: string }[] }).clients.map((c) => [
        c.name,
        c.tenant,
      ]),
      [['Acme app', 'acme']],
    );
    const defaultList = await cli('clients', 'list', '--json');
    assert.equal(defaultList.stdout.includes('Acme app'), false);
    const wrongTenant = await cli('clients', 'rotate-secret', '--tenant', 'acme', 'web-app');
    assert.equal(wrongTenant.code, 1, 'a client of another tenant is not found');
  });

  test('users create: the public user JSON; weak passwords and taken emails exit 1', async () => {
    const created = await cli(
      'users',
      'create',
      '--email',
      'Alice@Example.com',
      '--password',
      STRONG_PASSWORD,
      '--name',
      'Alice',
      '--verified',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const user = JSON.parse(created.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(user).sort(), [
      'created_at',
      'email',
      'email_verified',
      'id',
      'last_login_at',
      'name',
      'tenant_id',
    ]);
    assert.equal(user.email, 'Alice@Example.com');
    assert.equal(user.email_verified, true);
    assert.equal(user.name, 'Alice');
    const rows = await testDb.sql<{ password_hash: string; email_verified: boolean }>(
      'SELECT password_hash, email_verified FROM users WHERE id = $1',
      [user.id],
    );
    assert.match(rows[0]!.password_hash, /^\$argon2id\$/);
    assert.equal(rows[0]!.email_verified, true);

    const unverified = await cli(
      'users',
      'create',
      '--tenant',
      'acme',
      '--email',
      'bob@example.com',
      '--password',
      STRONG_PASSWORD,
    );
    assert.equal(unverified.code, 0, unverified.stderr);
    assert.match(unverified.stdout, /user created in tenant "acme": \S+ bob@example.com\n$/);

    const taken = await cli('users', 'create', '--email', 'alice@example.com', '--password', STRONG_PASSWORD);
    assert.equal(taken.code, 1);
    assert.match(oneLineError(taken), /already exists/);

    // Every violation is listed, with its code.
    const weak = await cli('users', 'create', '--email', 'carol@example.com', '--password', 'short');
    assert.equal(weak.code, 1);
    const line = oneLineError(weak);
    assert.match(line, /too_short \(The password must be at least 8 characters long\.\)/);
    assert.match(line, /; common \(/);
    const count = await testDb.sql<{ n: string }>(
      "SELECT count(*) AS n FROM users WHERE email LIKE 'carol%'",
    );
    assert.equal(Number(count[0]!.n), 0);
  });

  test('admin create prints a token once; it authenticates the admin API', async () => {
    const created = await cli('admin', 'create', '--email', 'ops@example.com', '--json');
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(json).sort(), [
      'admin_id',
      'email',
      'expires_at',
      'scope',
      'tenant',
      'token',
      'token_id',
    ]);
    assert.match(json.token!, /^hj_admin_[A-Za-z0-9_-]{43}$/);
    assert.equal(json.scope, 'admin');
    const again = await cli('admin', 'create', '--email', 'OPS@example.com');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /existing admin: ops@example.com/);
    assert.match(again.stdout, /shown only once/);

    const stored = await testDb.sql<{ token_hash: Uint8Array }>(
      'SELECT token_hash FROM admin_tokens WHERE id = $1',
      [json.token_id],
    );
    assert.deepEqual(Buffer.from(stored[0]!.token_hash), hashToken(json.token!));

    // The CLI is done with the database: the server may open it now.
    const logger = pino({ level: 'silent' });
    const config = testDb.config({ ...FAST_ARGON2 });
    const db = await openDatabase(config, logger);
    const app = await buildApp(config, { db, logger, sweeper: false });
    try {
      const me = await app.inject({
        url: '/v2/admin/me',
        headers: { authorization: `Bearer ${json.token!}` },
      });
      assert.equal(me.statusCode, 200, me.body);
      assert.equal(me.json<{ email: string }>().email, 'ops@example.com');
      const list = await app.inject({
        url: '/v2/admin/tenants/default/clients',
        headers: { authorization: `Bearer ${json.token!}` },
      });
      assert.equal(list.statusCode, 200);
      assert.ok(
        list.json<{ clients: { client_id: string }[] }>().clients.some((c) => c.client_id === 'web-app'),
      );
    } finally {
      await app.close();
      await db.close();
    }

    // A read-only key for a year, then the listing: hints and scopes, never a key.
    const readOnly = await cli(
      'admin',
      'create',
      '--email',
      'ops@example.com',
      '--scope',
      'read_only',
      '--expires-in',
      '365d',
      '--json',
    );
    assert.equal(readOnly.code, 0, readOnly.stderr);
    const ro = JSON.parse(readOnly.stdout) as Record<string, string>;
    assert.match(ro.token!, /^hj_ro_[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(ro.expires_at!) > Date.now() + 364 * 86_400_000);
    const listed = await cli('admin', 'list-tokens', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(ro.token!) && !listed.stdout.includes(json.token!));
    const keys = (JSON.parse(listed.stdout) as { api_keys: { id: string; scope: string; hint: string }[] })
      .api_keys;
    assert.deepEqual(keys.find((k) => k.id === ro.token_id)?.scope, 'read_only');
    assert.equal(keys.find((k) => k.id === ro.token_id)?.hint, ro.token!.slice(0, 'hj_ro_'.length + 4));
    const table = await cli('admin', 'list-tokens');
    assert.match(table.stdout, /^ID\s+KEY\s+SCOPE/);
    // Usage errors exit 2 with one line: a scope that does not exist, a duration that is not one.
    for (const args of [
      ['--scope', 'root'],
      ['--expires-in', 'soon'],
    ]) {
      const refused = await cli('admin', 'create', '--email', 'ops@example.com', ...args);
      assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stderr}`);
    }
    const noTenant = await cli('admin', 'create', '--email', 'ops@example.com', '--scope', 'tenant');
    assert.equal(noTenant.code, 2, noTenant.stderr);
    oneLineError(noTenant);

    const revoked = await cli('admin', 'revoke-token', json.token_id!);
    assert.equal(revoked.code, 0, revoked.stderr);
    const twice = await cli('admin', 'revoke-token', json.token_id!);
    assert.equal(twice.code, 1);
    oneLineError(twice);
  });

  test('commands refuse a database that is not migrated, with one line', async () => {
    const fresh = await createTestDatabase();
    try {
      const result = await runCli(['clients', 'list'], { ...fresh.env });
      assert.equal(result.code, 1);
      assert.match(oneLineError(result), /hellojohn migrate/);
    } finally {
      await fresh.drop();
    }
  });
});
