// The MFA commands through the real `hellojohn` binary: `users reset-mfa` and `tenants mfa-policy`, on a
// database a real server process uses in turn (PGlite allows one process at a time): a user enrols TOTP
// over HTTP, the CLI resets it, and the server no longer asks for a second step; the policy is shown and
// changed with the admin API's schema, audited with via: 'cli'; bad arguments exit 2 and write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { FAST_ARGON2, STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import {
  runCli,
  startServerProcess,
  type CliResult,
  unlessFeatureCommands,
} from '../../../test/support/cli.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { MFA_MODES } from './settings.js';

/** Exactly one line on stderr besides PGlite's development warning, and no stack trace. */
function oneLineError(result: CliResult): string {
  const lines = result.stderr.split('\n').filter((line) => line && !line.includes('DATABASE_URL is not set'));
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
}

describe('hellojohn users reset-mfa / tenants mfa-policy', { skip: unlessFeatureCommands() }, () => {
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  type Body = Record<string, unknown>;
  type Post = (path: string, body: unknown, token?: string) => Promise<Body>;
  /** Runs `fn` against a real server on the database, stopped afterwards so the CLI may open it. */
  async function withServer(fn: (post: Post) => Promise<void>): Promise<void> {
    const server = await startServerProcess(env);
    try {
      await fn(async (path, body, token) => {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        return (await response.json()) as Body;
      });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  }

  const email = uniqueEmail('cli-mfa');
  let userId: string;

  before(async () => {
    testDb = await createTestDatabase();
    env = { ...testDb.env, ...FAST_ARGON2 };
    const migrated = await cli('migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(() => testDb.drop());

  const auditRows = (type: string) =>
    testDb.sql<{ user_id: string | null; data: Record<string, unknown> }>(
      'SELECT user_id, data FROM audit_events WHERE type = $1 ORDER BY id',
      [type],
    );

  test('--help lists the commands, and the policy options come from the schema', async () => {
    const users = await cli('users', '--help');
    assert.match(users.stdout, /^\s+reset-mfa \[options\]/m);
    const tenants = await cli('tenants', '--help');
    assert.match(tenants.stdout, /^\s+mfa-policy \[options\]/m);
    const policy = await cli('tenants', 'mfa-policy', '--help');
    assert.equal(policy.code, 0);
    assert.match(policy.stdout, new RegExp(`choices: ${MFA_MODES.map((m) => `"${m}"`).join(', ')}`));
    for (const flag of [
      '--tenant <slug>',
      '--factors <list>',
      '--remember-device-days <n>',
      '--adaptive-new-device <on|off>',
      '--adaptive-new-ip-network <on|off>',
      '--adaptive-repeated-failures <on|off>',
      '--adaptive-failure-threshold <n>',
      '--json',
    ])
      assert.ok(policy.stdout.includes(flag), `${flag} in:\n${policy.stdout}`);
  });

  test('reset-mfa removes every factor: the next login asks no second step; audited via cli', async () => {
    await withServer(async (post) => {
      const registered = await post('/v2/auth/register', { email, password: STRONG_PASSWORD });
      userId = (registered.user as { id: string }).id;
      const token = String(registered.access_token);
      const enroll = await post('/v2/auth/mfa/totp/enroll', {}, token);
      const totp = new TOTP({ secret: Secret.fromBase32(String(enroll.secret)) });
      assert.deepEqual(await post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, token), {
        status: 'enabled',
      });
      assert.equal((await post('/v2/auth/login', { email, password: STRONG_PASSWORD })).mfa_required, true);
    });

    const reset = await cli('users', 'reset-mfa', '--email', email.toUpperCase(), '--json');
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(JSON.parse(reset.stdout), {
      status: 'reset',
      user_id: userId,
      removed: ['totp', 'recovery_code'],
    });
    const audit = await auditRows('mfa.reset');
    assert.deepEqual(audit, [
      { user_id: userId, data: { via: 'cli', admin_id: null, removed: ['totp', 'recovery_code'] } },
    ]);
    const devices = await testDb.sql<{ devices_revoked_at: Date | null }>(
      'SELECT devices_revoked_at FROM mfa_user_settings WHERE user_id = $1',
      [userId],
    );
    assert.ok(devices[0]?.devices_revoked_at, 'trusted devices are void');

    const again = await cli('users', 'reset-mfa', '--id', userId);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      again.stdout,
      `MFA reset for ${email} in tenant "default": no factor to remove; trusted devices forgotten\n`,
    );

    await withServer(async (post) => {
      const login = await post('/v2/auth/login', { email, password: STRONG_PASSWORD });
      assert.equal(login.mfa_required, undefined, JSON.stringify(login));
      assert.equal(typeof login.access_token, 'string');
    });
  });

  test('reset-mfa: an unknown user exits 1; bad arguments exit 2; nothing is reset', async () => {
    const unknown: [string[], RegExp][] = [
      [['--email', 'nobody@example.com'], /^hellojohn: no user nobody@example\.com in tenant "default"$/],
      [['--id', '00000000-0000-4000-8000-000000000000'], /no user 00000000-/],
      [['--tenant', 'nope', '--email', email], /no tenant "nope"/],
    ];
    for (const [args, message] of unknown) {
      const result = await cli('users', 'reset-mfa', ...args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(oneLineError(result), message);
      assert.equal(result.stdout, '');
    }
    const usage: [string[], RegExp][] = [
      [[], /name the user with --email or with --id/],
      [['--email', email, '--id', userId], /name the user with --email or with --id/],
      [['--id', 'not-a-uuid'], /--id must be a user id \(a UUID\)/],
      [['--email'], /^error: option '--email <email>' argument missing/],
      [['--colour', 'red'], /^error: unknown option '--colour'/],
    ];
    for (const [args, message] of usage) {
      const result = await cli('users', 'reset-mfa', ...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(oneLineError(result), message);
    }
    assert.equal((await auditRows('mfa.reset')).length, 2, 'only the two resets above');
  });

  test('mfa-policy prints the policy; options change the members named, audited via cli', async () => {
    const shown = await cli('tenants', 'mfa-policy');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(
      shown.stdout,
      [
        'MFA policy of tenant "default":',
        'mode                        optional',
        'factors                     totp,email,recovery_code,webauthn',
        'remember-device-days        30',
        'adaptive-new-device         on',
        'adaptive-new-ip-network     off',
        'adaptive-repeated-failures  on',
        'adaptive-failure-threshold  3',
        '',
      ].join('\n'),
    );

    const set = await cli(
      'tenants',
      'mfa-policy',
      '--mode',
      'required',
      '--factors',
      'totp, recovery_code',
      '--remember-device-days',
      '7',
      '--adaptive-new-ip-network',
      'on',
      '--json',
    );
    assert.equal(set.code, 0, set.stderr);
    const expected = {
      mode: 'required',
      factors: ['totp', 'recovery_code'],
      remember_device_days: 7,
      adaptive: { new_device: true, new_ip_network: true, repeated_failures: true, failure_threshold: 3 },
    };
    assert.deepEqual(JSON.parse(set.stdout), expected);

    // Another change keeps the members set before.
    const more = await cli('tenants', 'mfa-policy', '--adaptive-failure-threshold', '5', '--json');
    assert.equal(more.code, 0, more.stderr);
    const now = { ...expected, adaptive: { ...expected.adaptive, failure_threshold: 5 } };
    assert.deepEqual(JSON.parse(more.stdout), now);
    assert.deepEqual(JSON.parse((await cli('tenants', 'mfa-policy', '--json')).stdout), now);

    const stored = await testDb.sql<{ settings: { mfa: unknown } }>(
      "SELECT settings FROM tenants WHERE slug = 'default'",
    );
    assert.deepEqual(stored[0]!.settings.mfa, {
      mode: 'required',
      factors: ['totp', 'recovery_code'],
      remember_device_days: 7,
      adaptive: { new_ip_network: true, failure_threshold: 5 },
    });
    const audit = await auditRows('mfa.policy_changed');
    assert.deepEqual(
      audit.map((row) => [row.data.via, row.data.admin_id]),
      [
        ['cli', null],
        ['cli', null],
      ],
    );

    // A running server applies it: the user without a factor now sets one up while signing in.
    await withServer(async (post) => {
      const login = await post('/v2/auth/login', { email, password: STRONG_PASSWORD });
      assert.equal(login.enrollment_required, true, JSON.stringify(login));
    });
  });

  test('mfa-policy: an invalid value exits 2 with the rule it broke, and nothing is written', async () => {
    const settings = () => testDb.sql("SELECT settings FROM tenants WHERE slug = 'default'");
    const before = await settings();
    const changes = (await auditRows('mfa.policy_changed')).length;
    const refused: [string[], RegExp][] = [
      [['--mode', 'sometimes'], /^error: option '--mode <value>' argument 'sometimes' is invalid/],
      [['--adaptive-new-device', 'yes'], /Allowed choices are on, off/],
      [['--remember-device-days', '400'], /^hellojohn: Invalid MFA policy at \/remember_device_days: /],
      [['--remember-device-days', 'ten'], /at \/remember_device_days: Expected integer/],
      [['--adaptive-failure-threshold', '0'], /at \/adaptive\/failure_threshold: /],
      [
        ['--factors', 'totp,carrier_pigeon'],
        /Unknown factor\(s\): carrier_pigeon; this server offers totp, /,
      ],
      [
        ['--mode', 'required', '--factors', 'recovery_code'],
        /mode "required" needs a factor users can set up while signing in/,
      ],
    ];
    for (const [args, message] of refused) {
      const result = await cli('tenants', 'mfa-policy', ...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(oneLineError(result), message, args.join(' '));
      assert.equal(result.stdout, '');
    }
    assert.deepEqual(await settings(), before);
    assert.equal((await auditRows('mfa.policy_changed')).length, changes);
    const unknownTenant = await cli('tenants', 'mfa-policy', '--tenant', 'nope');
    assert.equal(unknownTenant.code, 1);
    assert.match(oneLineError(unknownTenant), /no tenant "nope"/);
  });
});
