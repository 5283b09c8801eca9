// `hellojohn tenants create|get|update|delete` and `hellojohn audit list|export` through the real binary:
// the same rules as the admin API (settings validated, delete with confirmation), --json output, refusals
// as one line on stderr with exit code 1, usage errors with 2.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD } from '../support/app.js';
import { runCli, type CliResult, unlessFeatureCommands } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

function oneLineError(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((line) => line && !line.includes('DATABASE_URL is not set'));
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

describe('hellojohn tenants / audit', { skip: unlessFeatureCommands() }, () => {
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

  test('create with settings, get, update; hostile settings refused', async () => {
    const created = await cli(
      'tenants',
      'create',
      '--slug',
      'acme',
      '--name',
      'Acme',
      '--settings',
      '{"branding":{"primary_color":"#0f766e"}}',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const tenant = JSON.parse(created.stdout) as { settings: { branding: { primary_color: string } } };
    assert.equal(tenant.settings.branding.primary_color, '#0f766e');

    const off = await cli('tenants', 'update', 'acme', '--sign-up', 'off', '--name', 'Acme Corp', '--json');
    assert.equal(off.code, 0, off.stderr);
    const updated = JSON.parse(off.stdout) as { name: string; effective: { sign_up_enabled: boolean } };
    assert.equal(updated.name, 'Acme Corp');
    assert.equal(updated.effective.sign_up_enabled, false);

    const got = await cli('tenants', 'get', 'acme');
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /sign-up:\s+off/);

    // Lifetimes and an SMTP server (the CLI is the operator: allowed); the password never printed.
    const mail = await cli(
      'tenants',
      'update',
      'acme',
      '--settings',
      JSON.stringify({
        lifetimes: { access_token: 300, session: 3600 },
        smtp: {
          host: 'smtp.acme.example',
          port: 587,
          user: 'acme',
          password: 'cli-smtp-secret',
          from: 'no-reply@acme.example',
        },
      }),
      '--json',
    );
    assert.equal(mail.code, 0, mail.stderr);
    const withMail = JSON.parse(mail.stdout) as {
      settings: { lifetimes: Record<string, number>; smtp: Record<string, unknown> };
    };
    assert.deepEqual(withMail.settings.lifetimes, { access_token: 300, session: 3600 });
    assert.equal(withMail.settings.smtp.password_set, true);
    assert.ok(!mail.stdout.includes('cli-smtp-secret'), 'the password is not printed');
    const shown = await cli('tenants', 'get', 'acme');
    assert.ok(!shown.stdout.includes('cli-smtp-secret') && !shown.stdout.includes('password_sealed'));

    for (const settings of [
      '{"branding":{"custom_css":"@import url(https://evil.example/x.css)"}}',
      '{"branding":{"logo_url":"http://cdn.example.com/l.png"}}',
      '{"sign_up":{"enable":false}}',
      '{"smtp":{}}',
      '{"lifetimes":{"session":600,"session_idle":900}}',
    ]) {
      const bad = await cli('tenants', 'update', 'acme', '--settings', settings);
      assert.equal(bad.code, 1, `${settings}: ${bad.stderr}`);
      assert.match(
        oneLineError(bad),
        /custom_css|logo_url|not a known setting|smtp\.host|session_idle/,
        settings,
      );
    }
    const notJson = await cli('tenants', 'update', 'acme', '--settings', '{nope');
    assert.equal(notJson.code, 2);
    assert.equal((await cli('tenants', 'update', 'acme', '--sign-up', 'maybe')).code, 2);
    assert.equal((await cli('tenants', 'get', 'nope')).code, 1);
  });

  test('delete: refused with users unless --force; the default tenant never', async () => {
    const user = await cli(
      'users',
      'create',
      '--tenant',
      'acme',
      '--email',
      'someone@example.com',
      '--password',
      STRONG_PASSWORD,
    );
    assert.equal(user.code, 0, user.stderr);
    const refused = await cli('tenants', 'delete', 'acme');
    assert.equal(refused.code, 1);
    assert.match(oneLineError(refused), /has 1 user\(s\).*--force/);
    const home = await cli('tenants', 'delete', 'default', '--force');
    assert.equal(home.code, 1);
    assert.match(oneLineError(home), /default tenant/);
    const deleted = await cli('tenants', 'delete', 'acme', '--force', '--json');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((JSON.parse(deleted.stdout) as { users_deleted: number }).users_deleted, 1);
  });

  test('audit list (pages, --json) and export (NDJSON); a bad filter is refused', async () => {
    assert.equal((await cli('tenants', 'create', '--slug', 'audited', '--name', 'Audited')).code, 0);
    assert.equal((await cli('tenants', 'update', 'audited', '--sign-up', 'off')).code, 0);
    assert.equal((await cli('tenants', 'update', 'audited', '--password-sign-in', 'off')).code, 0);
    const page = await cli(
      'audit',
      'list',
      '--tenant',
      'audited',
      '--type',
      'tenant.',
      '--limit',
      '1',
      '--json',
    );
    assert.equal(page.code, 0, page.stderr);
    const first = JSON.parse(page.stdout) as {
      events: { type: string; data: { via: string; settings: string[] } }[];
      next_cursor: string;
    };
    assert.equal(first.events.length, 1);
    assert.equal(first.events[0]!.type, 'tenant.updated');
    assert.deepEqual(first.events[0]!.data.settings, ['sign_in']);
    assert.equal(first.events[0]!.data.via, 'cli');
    assert.ok(first.next_cursor);
    const next = await cli('audit', 'list', '--tenant', 'audited', '--cursor', first.next_cursor, '--json');
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(
      (JSON.parse(next.stdout) as { events: { type: string }[] }).events.map((e) => e.type),
      ['tenant.updated', 'tenant.created'],
    );

    const text = await cli('audit', 'list', '--tenant', 'audited');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ID\s+TIME\s+TYPE/);

    const exported = await cli('audit', 'export', '--tenant', 'audited');
    assert.equal(exported.code, 0, exported.stderr);
    const events = exported.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    assert.deepEqual(
      events.map((e) => e.type),
      ['tenant.updated', 'tenant.updated', 'tenant.created'],
    );
    const home = await cli('audit', 'export', '--type', 'tenant.deleted');
    assert.equal(home.code, 0, home.stderr);
    assert.equal(
      home.stdout.trimEnd().split('\n').length,
      1,
      "the deletion is in the default tenant's trail",
    );

    const bad = await cli('audit', 'list', '--from', 'yesterday');
    assert.equal(bad.code, 1);
    assert.match(oneLineError(bad), /from must be/);
  });
});
