import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../src/config.js';
import { runCli } from './support/cli.js';

const fails = (env: Record<string, string>, variable: string, detail?: RegExp) => {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.equal(error.variable, variable);
      if (detail) assert.match(error.message, detail);
      return true;
    },
  );
};

describe('configuration', () => {
  test('defaults: embedded PGlite in ./data, pool of 10, 10 s statement timeout, port 8080', () => {
    const config = loadConfig({});
    assert.equal(config.database.kind, 'pglite');
    assert.equal(config.database.maxConnections, 10);
    assert.equal(config.database.statementTimeoutMs, 10_000);
    assert.equal(config.http.port, 8080);
    assert.equal(config.http.baseUrl.href, 'http://localhost:8080/');
    assert.equal(config.migrateOnStart, true);
    assert.equal(config.allowNewerSchema, false);
  });

  test('PASSWORD_HASH_THREADS: one per core (at most 4) by default, a whole number from 1', () => {
    assert.equal(loadConfig({}).passwords.hashThreads, Math.min(4, availableParallelism()));
    assert.equal(loadConfig({ PASSWORD_HASH_THREADS: '3' }).passwords.hashThreads, 3);
    fails({ PASSWORD_HASH_THREADS: '0' }, 'PASSWORD_HASH_THREADS', /from 1 to 256/);
    fails({ PASSWORD_HASH_THREADS: 'two' }, 'PASSWORD_HASH_THREADS');
  });

  test('DATABASE_URL is parsed like libpq, with sslmode defaulting to prefer', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://hj:p%40ss@db.example.com:6543/hellojohn' });
    assert.equal(config.database.kind, 'postgres');
    if (config.database.kind !== 'postgres') return;
    assert.equal(config.database.host, 'db.example.com');
    assert.equal(config.database.port, 6543);
    assert.equal(config.database.password, 'p@ss');
    assert.equal(config.database.database, 'hellojohn');
    assert.equal(config.database.sslMode, 'prefer');
    assert.doesNotMatch(config.database.display, /p@ss|p%40ss/, 'the display form never holds the password');
  });

  test('every sslmode of the docs is accepted', () => {
    for (const mode of ['disable', 'prefer', 'require', 'verify-ca', 'verify-full']) {
      const config = loadConfig({ DATABASE_URL: `postgres://u:p@h/db?sslmode=${mode}` });
      assert.equal(config.database.kind === 'postgres' && config.database.sslMode, mode);
    }
  });

  test('bad values name the variable', () => {
    fails({ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /not a valid URL/);
    fails({ DATABASE_URL: 'mysql://u@h/db' }, 'DATABASE_URL', /postgres:\/\//);
    fails(
      { DATABASE_URL: 'postgres://u@h/db?sslmode=allow-ish' },
      'DATABASE_URL',
      /unknown sslmode "allow-ish"/,
    );
    fails(
      { DATABASE_URL: 'postgres://u@h/db?pgbouncer=true' },
      'DATABASE_URL',
      /unsupported parameter "pgbouncer"/,
    );
    fails({ DATABASE_URL: 'postgres://u@h/' }, 'DATABASE_URL', /must name a database/);
    fails(
      { DATABASE_URL: 'postgres://u@h/db?sslmode=verify-ca&sslrootcert=system' },
      'DATABASE_URL',
      /verify-full/,
    );
    fails(
      { DATABASE_URL: 'postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem' },
      'DATABASE_URL',
      /does not exist/,
    );
    fails({ DATABASE_MAX_CONNECTIONS: '0' }, 'DATABASE_MAX_CONNECTIONS');
    fails({ DATABASE_MAX_CONNECTIONS: 'ten' }, 'DATABASE_MAX_CONNECTIONS', /"ten"/);
    fails({ DATABASE_MAX_CONNECTIONS: '3.5' }, 'DATABASE_MAX_CONNECTIONS');
    fails({ DATABASE_STATEMENT_TIMEOUT: 'soon' }, 'DATABASE_STATEMENT_TIMEOUT');
    fails({ SIGNING_MASTER_KEY: 'abc' }, 'SIGNING_MASTER_KEY', /64 hex characters/);
    fails({ SECRETBOX_MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'SECRETBOX_MASTER_KEY');
    fails({ PORT: '70000' }, 'PORT');
    fails({ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START');
    fails({ APP_ENV: 'production' }, 'APP_ENV');
    fails({ BASE_URL: 'ftp://x' }, 'BASE_URL');
    fails({ CORS_ORIGINS: 'https://a.example.com/path' }, 'CORS_ORIGINS');
    fails({ REDIS_URL: 'http://localhost' }, 'REDIS_URL');
  });

  test('TRUST_PROXY: off by default; true is the one proxy in front, N is N proxies, or a list of proxies', () => {
    assert.equal(loadConfig({}).http.trustProxy, false);
    for (const off of ['false', 'FALSE', '0', 'no', 'off']) {
      assert.equal(loadConfig({ TRUST_PROXY: off }).http.trustProxy, false, off);
    }
    for (const one of ['true', 'True', 'yes', 'on', '1']) {
      assert.equal(loadConfig({ TRUST_PROXY: one }).http.trustProxy, 1, `${one} trusts one hop only`);
    }
    assert.equal(loadConfig({ TRUST_PROXY: '3' }).http.trustProxy, 3);
    assert.equal(loadConfig({ TRUST_PROXY: '100' }).http.trustProxy, 100);
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.5' }).http.trustProxy, '10.0.0.5');
    assert.equal(
      loadConfig({ TRUST_PROXY: ' 10.0.0.0/8 , 192.168.1.1,2001:db8::/32,  ::1, ' }).http.trustProxy,
      '10.0.0.0/8,192.168.1.1,2001:db8::/32,::1',
    );
  });

  test('TRUST_PROXY refuses anything else, naming the variable', () => {
    for (const bad of [
      'maybe',
      '-1',
      '1.5',
      '101',
      '1e3',
      ',',
      'proxy.example.com',
      'loopback',
      '10.0.0.256',
      '10.0.0.0/33',
      '10.0.0.0/0',
      '10.0.0.1/',
      '10.0.0.0/255.0.0.0',
      '::/129',
      'fe80::1%eth0',
      '10.0.0.1 10.0.0.2',
    ]) {
      fails({ TRUST_PROXY: bad }, 'TRUST_PROXY', /must be true, false, a number of proxies/);
    }
    fails({ TRUST_PROXY: '10.0.0.1,nope' }, 'TRUST_PROXY', /entry that is not an IP address.*"nope"/);
    fails({ TRUST_PROXY: '10.0.0.1, 10.1.0.0/40' }, 'TRUST_PROXY', /"10.1.0.0\/40"/);
  });

  test('APP_ENV=prod refuses the embedded database and missing master keys', () => {
    fails({ APP_ENV: 'prod' }, 'DATABASE_URL', /development only/);
    fails({ APP_ENV: 'prod', DATABASE_URL: 'postgres://u@h/db' }, 'SIGNING_MASTER_KEY');
    const keys = {
      SIGNING_MASTER_KEY: 'ab'.repeat(32),
      SECRETBOX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    const config = loadConfig({ APP_ENV: 'prod', DATABASE_URL: 'postgres://u@h/db', ...keys });
    assert.equal(config.keys.signingMasterKey?.length, 32);
    assert.equal(config.keys.secretboxMasterKey?.length, 32);
  });

  test('social sign-in: the documented defaults; a provider URL is https (http only on a loopback host)', () => {
    const social = loadConfig({}).social;
    assert.deepEqual(social.urls, {});
    assert.deepEqual(
      [social.httpTimeoutMs, social.flowTtlMs, social.exchangeCodeTtlMs],
      [10_000, 600_000, 120_000],
    );
    const urls = loadConfig({
      SOCIAL_GITHUB_URL: 'https://github.example.com',
      SOCIAL_GOOGLE_URL: 'http://127.0.0.1:8080',
    }).social.urls;
    assert.equal(urls.github?.href, 'https://github.example.com/');
    assert.equal(urls.google?.href, 'http://127.0.0.1:8080/');
    fails({ SOCIAL_GOOGLE_URL: 'http://accounts.example.com' }, 'SOCIAL_GOOGLE_URL', /https/);
    fails({ SOCIAL_GITLAB_URL: 'https://u:p@gitlab.example.com' }, 'SOCIAL_GITLAB_URL');
    fails({ SOCIAL_HTTP_TIMEOUT: 'soon' }, 'SOCIAL_HTTP_TIMEOUT');
  });

  test('SMS for MFA: off unless MFA_SMS_PROVIDER names Twilio or Vonage, with the documented defaults', () => {
    const sid = `AC${'0a'.repeat(16)}`;
    assert.equal(loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 't' }).sms, undefined);
    assert.deepEqual(
      loadConfig({
        MFA_SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: sid,
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM: '+15005550006',
      }).sms,
      {
        provider: 'twilio',
        accountSid: sid,
        authToken: 'token',
        from: '+15005550006',
        messagingServiceSid: undefined,
        baseUrl: 'https://api.twilio.com',
        timeoutMs: 10_000,
      },
    );
    assert.deepEqual(
      loadConfig({
        MFA_SMS_PROVIDER: 'vonage',
        VONAGE_API_KEY: 'key',
        VONAGE_API_SECRET: 'secret',
        VONAGE_FROM: '+447911123456',
        VONAGE_BASE_URL: 'http://127.0.0.1:8081/vonage/',
        SMS_TIMEOUT: '2500ms',
      }).sms,
      {
        provider: 'vonage',
        apiKey: 'key',
        apiSecret: 'secret',
        from: '447911123456',
        baseUrl: 'http://127.0.0.1:8081/vonage',
        timeoutMs: 2500,
      },
    );
    const service = loadConfig({
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_MESSAGING_SERVICE_SID: `MG${'0b'.repeat(16)}`,
    }).sms;
    assert.equal(service?.provider === 'twilio' && service.messagingServiceSid, `MG${'0b'.repeat(16)}`);
    const alphanumeric = { MFA_SMS_PROVIDER: 'vonage', VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's' };
    assert.equal(loadConfig({ ...alphanumeric, VONAGE_FROM: 'HelloJohn' }).sms?.from, 'HelloJohn');
  });

  test('SMS for MFA: a provider without its credentials or sender, or a bad value, stops the start', () => {
    const twilio = {
      MFA_SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: `AC${'0a'.repeat(16)}`,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+15005550006',
    };
    const vonage = {
      MFA_SMS_PROVIDER: 'vonage',
      VONAGE_API_KEY: 'key',
      VONAGE_API_SECRET: 'secret',
      VONAGE_FROM: 'HelloJohn',
    };
    fails({ MFA_SMS_PROVIDER: 'sns' }, 'MFA_SMS_PROVIDER', /one of twilio, vonage/);
    fails(
      { ...twilio, TWILIO_ACCOUNT_SID: '' },
      'TWILIO_ACCOUNT_SID',
      /required when MFA_SMS_PROVIDER is twilio/,
    );
    fails({ ...twilio, TWILIO_AUTH_TOKEN: '' }, 'TWILIO_AUTH_TOKEN', /required/);
    fails({ ...twilio, TWILIO_FROM: '' }, 'TWILIO_FROM', /or TWILIO_MESSAGING_SERVICE_SID is required/);
    fails({ ...twilio, TWILIO_ACCOUNT_SID: 'SK123' }, 'TWILIO_ACCOUNT_SID', /must look like AC/);
    fails({ ...twilio, TWILIO_MESSAGING_SERVICE_SID: 'MG1' }, 'TWILIO_MESSAGING_SERVICE_SID', /MG/);
    fails({ ...twilio, TWILIO_FROM: '555-0006' }, 'TWILIO_FROM', /E\.164/);
    fails({ ...twilio, TWILIO_FROM: 'HelloJohnApp1' }, 'TWILIO_FROM', /up to 11 characters/);
    fails({ ...twilio, TWILIO_BASE_URL: 'ftp://api.twilio.com' }, 'TWILIO_BASE_URL', /http/);
    fails({ ...twilio, TWILIO_BASE_URL: 'https://u:p@api.twilio.com' }, 'TWILIO_BASE_URL', /credentials/);
    fails({ ...twilio, SMS_TIMEOUT: 'soon' }, 'SMS_TIMEOUT', /duration/);
    fails({ ...vonage, VONAGE_API_KEY: '' }, 'VONAGE_API_KEY', /required when MFA_SMS_PROVIDER is vonage/);
    fails({ ...vonage, VONAGE_API_SECRET: '' }, 'VONAGE_API_SECRET', /required/);
    fails({ ...vonage, VONAGE_FROM: '' }, 'VONAGE_FROM', /required/);
    fails({ ...vonage, VONAGE_BASE_URL: 'https://rest.nexmo.com?x=1' }, 'VONAGE_BASE_URL', /query/);
  });

  test('KEY_ROTATION_INTERVAL: 90 days by default, 0 turns the schedule off, under an hour is refused', () => {
    assert.equal(loadConfig({}).keys.rotationIntervalMs, 90 * 86_400_000);
    assert.equal(loadConfig({ KEY_ROTATION_INTERVAL: '0' }).keys.rotationIntervalMs, 0);
    assert.equal(loadConfig({ KEY_ROTATION_INTERVAL: '720h' }).keys.rotationIntervalMs, 2_592_000_000);
    for (const bad of ['5m', 'soon', '-1d'])
      assert.throws(() => loadConfig({ KEY_ROTATION_INTERVAL: bad }), /KEY_ROTATION_INTERVAL/);
  });

  test('durations read like Go durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('720h'), 2_592_000_000);
    assert.equal(parseDuration('15'), 15_000);
    assert.equal(parseDuration('1.5h'), undefined);
    assert.equal(parseDuration('-1s'), undefined);
  });

  test('the binary stops on a bad value with exit code 2 and one line naming the variable', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ DATABASE_URL: 'postgres://u@h/db?sslmode=bogus' }, /DATABASE_URL has an unknown sslmode "bogus"/],
      [{ DATABASE_MAX_CONNECTIONS: '0' }, /DATABASE_MAX_CONNECTIONS must be a whole number/],
      [{ DATABASE_MAX_CONNECTIONS: 'ten' }, /DATABASE_MAX_CONNECTIONS must be a whole number/],
      [{ DATABASE_URL: '::::' }, /DATABASE_URL is not a valid URL/],
      [{ SECRETBOX_MASTER_KEY: 'short' }, /SECRETBOX_MASTER_KEY must be 32 bytes/],
      [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY must be true, false, a number of proxies/],
      [{ MFA_SMS_PROVIDER: 'vonage' }, /VONAGE_API_KEY is required when MFA_SMS_PROVIDER is vonage/],
    ];
    for (const command of [['serve'], ['migrate'], ['migrate', 'status']]) {
      for (const [env, message] of cases) {
        const result = await runCli(command, env);
        assert.equal(result.code, 2, `${command.join(' ')} ${JSON.stringify(env)}: ${result.stderr}`);
        const lines = result.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
        assert.match(lines[0]!, /^hellojohn: invalid configuration: /);
        assert.match(lines[0]!, message);
        assert.equal(result.stdout, '');
      }
    }
  });

  test('hellojohn version and --help work without any configuration', async () => {
    const version = await runCli(['version'], { DATABASE_MAX_CONNECTIONS: 'ten' });
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^hellojohn \d+\.\d+\.\d+/);
    for (const args of [
      ['--help'],
      ['migrate', '--help'],
      ['migrate', 'status', '--help'],
      ['serve', '--help'],
    ]) {
      const help = await runCli(args, {});
      assert.equal(help.code, 0, args.join(' '));
      assert.match(help.stdout, /Usage: hellojohn/);
    }
  });
});
