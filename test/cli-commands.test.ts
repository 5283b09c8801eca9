// The command line itself: a mistyped command (or subcommand) is an error with a suggestion, never a server started by
// accident; `hellojohn` alone serves; `serve --port` overrides PORT.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { runCli, startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';
import { freePort } from './support/net.js';

test('an unknown command is refused with the nearest command suggested, and nothing is served', async () => {
  for (const [args, suggestion] of [
    [['foo'], undefined],
    [['user', 'create', '--email', 'a@example.com'], 'users'],
    [['srve'], 'serve'],
    [['migrat', 'status'], 'migrate'],
    [['audt', 'list'], 'audit'],
    [['tenant', 'get', 'acme'], 'tenants'],
  ] as const) {
    // A database that cannot be reached: had the command fallen through to `serve`, it would say so.
    const result = await runCli([...args], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 20_000);
    const line = args.join(' ');
    assert.equal(result.code, 1, `${line}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`^error: unknown command '${args[0]}'`, 'm'), line);
    if (suggestion) assert.match(result.stderr, new RegExp(`Did you mean ${suggestion}\\?`), line);
    assert.doesNotMatch(result.stderr, /too many arguments/, line);
    assert.match(result.stderr, /run .hellojohn --help. for the list of commands/, line);
    assert.equal(result.stdout, '', line);
  }
});

test('a mistyped subcommand is refused with the nearest one suggested, in a group with an action too', async () => {
  // `migrate` runs by itself and has subcommands: commander alone would say "too many arguments".
  for (const [args, suggestion] of [
    [['migrate', 'stats'], 'status'],
    [['clients', 'delet', 'some-client'], 'delete'],
  ] as const) {
    const result = await runCli([...args], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 20_000);
    const line = args.join(' ');
    assert.notEqual(result.code, 0, line);
    assert.match(result.stderr, new RegExp(`^error: unknown command '${args[1]}'`, 'm'), line);
    assert.match(result.stderr, new RegExp(`Did you mean ${suggestion}\\?`), line);
    assert.doesNotMatch(result.stderr, /too many arguments|ECONNREFUSED/, line);
    assert.equal(result.stdout, '', line);
  }
});

test('`hellojohn` alone still starts the server', async () => {
  const db = await createTestDatabase();
  const server = await startServerProcess({ ...db.env }, 60_000, []);
  try {
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
    await db.drop();
  }
});

test('`serve --port` overrides PORT; a bad port is a configuration error', async () => {
  const db = await createTestDatabase();
  // PORT names a port that is taken: only the flag lets the server start.
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const port = await freePort();
  try {
    const taken = String((holder.address() as AddressInfo).port);
    const server = await startServerProcess({ ...db.env, PORT: taken }, 60_000, [
      'serve',
      '--port',
      String(port),
    ]);
    try {
      assert.equal(new URL(server.url).port, String(port));
      assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const bad = await runCli(['serve', '--port', 'eighty'], { ...db.env });
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /invalid configuration: PORT must be a whole number from 0 to 65535 \(got "eighty"\)/,
    );
  } finally {
    holder.close();
    await db.drop();
  }
});
