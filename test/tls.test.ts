// libpq-style sslmode handling against a throwaway PostgreSQL that accepts TLS connections only.
// The test makes its own CA, a server certificate for DNS:localhost (no IP SAN) and an unrelated CA,
// starts PostgreSQL as the `postgres` OS user on a free port on 127.0.0.1, and tears it all down.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { openPostgres, StartupError } from '../src/db/postgres.js';
import { runCli } from './support/cli.js';
import { unlessAvailable } from './support/env.js';
import { freePort } from './support/net.js';
import { postgresBinDir } from './support/throwaway-postgres.js';

const skip = unlessAvailable({ postgres: true, root: true });
const logger = pino({ level: 'silent' });

const run = (file: string, args: string[]) => execFileSync(file, args, { stdio: 'pipe' });
const asPostgres = (file: string, args: string[]) => run('runuser', ['-u', 'postgres', '--', file, ...args]);

/** A CA (key + self-signed certificate) in `dir`. */
function makeCa(dir: string, name: string): string {
  const cert = path.join(dir, `${name}.crt`);
  // prettier-ignore
  run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, `${name}.key`), '-out', cert, '-days', '2', '-subj', `/CN=hellojohn test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return cert;
}

void describe('PostgreSQL over TLS (sslmode as libpq means it)', { skip, timeout: 120_000 }, () => {
  let dir = '';
  let dataDir = '';
  let binDir = '';
  let port = 0;
  let started = false;
  let ca = '';
  let wrongCa = '';

  before(async () => {
    binDir = postgresBinDir();
    dir = mkdtempSync(path.join(os.tmpdir(), 'hj-tls-'));
    dataDir = path.join(dir, 'data');

    ca = makeCa(dir, 'ca');
    wrongCa = makeCa(dir, 'wrong-ca');
    const serverKey = path.join(dir, 'server.key');
    const serverCsr = path.join(dir, 'server.csr');
    const serverCert = path.join(dir, 'server.crt');
    const extensions = path.join(dir, 'server.ext');
    // The CN is deliberately not a host name: only the DNS:localhost SAN names the server.
    writeFileSync(
      extensions,
      'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n' +
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
    );
    // prettier-ignore
    run('openssl', [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', serverKey, '-out', serverCsr, '-subj', '/CN=hellojohn test server',
    ]);
    // prettier-ignore
    run('openssl', [
      'x509', '-req', '-in', serverCsr, '-CA', ca, '-CAkey', path.join(dir, 'ca.key'), '-CAcreateserial',
      '-out', serverCert, '-days', '2', '-extfile', extensions,
    ]);
    chmodSync(serverKey, 0o600);
    run('chown', ['-R', 'postgres:postgres', dir]);

    // prettier-ignore
    asPostgres(path.join(binDir, 'initdb'), [
      '-D', dataDir, '--auth=trust', '-U', 'postgres', '--no-sync', '--encoding=UTF8', '--locale=C',
    ]);
    // TLS or nothing over TCP; the unix socket (in `dir`) is only there for pg_ctl.
    writeFileSync(
      path.join(dataDir, 'pg_hba.conf'),
      'local all all trust\nhostssl all all 127.0.0.1/32 trust\n',
    );
    run('chown', ['postgres:postgres', path.join(dataDir, 'pg_hba.conf')]);

    port = await freePort();
    const serverOptions = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c ssl=on',
      `-c ssl_cert_file=${serverCert}`,
      `-c ssl_key_file=${serverKey}`,
      '-c fsync=off',
    ].join(' ');
    started = true; // from here on, after() stops whatever pg_ctl may have started
    // prettier-ignore
    asPostgres(path.join(binDir, 'pg_ctl'), [
      '-D', dataDir, '-l', path.join(dir, 'server.log'), '-o', serverOptions, '-w', '-t', '30', 'start',
    ]);
  });

  after(() => {
    try {
      if (started) asPostgres(path.join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  const urlFor = (host: string, query: string) => `postgres://postgres@${host}:${port}/postgres?${query}`;

  function connect(host: string, query: string): Promise<Database> {
    const { database } = loadConfig({ DATABASE_URL: urlFor(host, query), DATABASE_CONNECT_TIMEOUT: '2s' });
    assert.equal(database.kind, 'postgres');
    if (database.kind !== 'postgres') throw new Error('unreachable');
    return openPostgres(database, logger);
  }

  /** Connects, proves from the server's side that the session is encrypted, and closes. */
  async function assertConnectsOverTls(host: string, query: string) {
    const db = await connect(host, query);
    try {
      const { rows } = await db.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      assert.deepEqual(rows, [{ ssl: true }]);
    } finally {
      await db.close();
    }
  }

  /** Expects a StartupError whose message matches every pattern, without retrying until the deadline. */
  async function assertRefused(host: string, query: string, patterns: RegExp[]) {
    await assert.rejects(connect(host, query), (error: unknown) => {
      assert.ok(error instanceof StartupError, `expected a StartupError, got ${String(error)}`);
      for (const pattern of patterns) assert.match(error.message, pattern);
      // A TLS or pg_hba refusal is permanent: it is reported at once, not retried as "not reachable yet".
      assert.doesNotMatch(error.message, /gave up after/);
      return true;
    });
  }

  void test('require encrypts without verifying the certificate', async () => {
    await assertConnectsOverTls('127.0.0.1', 'sslmode=require');
  });

  void test('prefer uses TLS when the server offers it', async () => {
    await assertConnectsOverTls('127.0.0.1', 'sslmode=prefer');
  });

  void test('verify-full accepts a certificate from the given CA for the host connected to', async () => {
    await assertConnectsOverTls('localhost', `sslmode=verify-full&sslrootcert=${ca}`);
  });

  void test('verify-full refuses a certificate for another host', async () => {
    await assertRefused('127.0.0.1', `sslmode=verify-full&sslrootcert=${ca}`, [
      /certificate/i,
      /verify-full/,
    ]);
  });

  void test('verify-ca refuses a certificate not signed by the given CA', async () => {
    await assertRefused('127.0.0.1', `sslmode=verify-ca&sslrootcert=${wrongCa}`, [
      /certificate/i,
      /verify-ca/,
    ]);
  });

  void test('verify-ca accepts the right CA without checking the host name', async () => {
    await assertConnectsOverTls('127.0.0.1', `sslmode=verify-ca&sslrootcert=${ca}`);
  });

  void test('require with a root certificate verifies the chain, as libpq does', async () => {
    await assertRefused('127.0.0.1', `sslmode=require&sslrootcert=${wrongCa}`, [/certificate/i]);
  });

  void test('disable against a TLS-only server says the server requires TLS', async () => {
    await assertRefused('127.0.0.1', 'sslmode=disable', [/the server requires TLS but sslmode=disable/]);
  });

  void test('the CLI reports a certificate failure as one line without a stack trace', async () => {
    const result = await runCli(['migrate', 'status'], {
      DATABASE_URL: urlFor('127.0.0.1', `sslmode=verify-full&sslrootcert=${ca}`),
      DATABASE_CONNECT_TIMEOUT: '2s',
    });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^hellojohn: .*certificate/i);
    assert.ok(!result.stderr.includes('    at '), result.stderr);
    assert.equal(result.stdout, '');
  });
});
