// What an idle server does not load: libraries used only by features an installation may never use are
// imported at their first use (docs/operations.md, "Memory"), so a started server has not loaded them.
// Checked in a real `hellojohn serve` process, from the modules it loaded by the time it was stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';

/**
 * Modules an idle server must not have loaded, and why each is left until needed: packages (a path under
 * node_modules) and Node's own modules (node:…).
 */
const NOT_AT_START: Record<string, string> = {
  'nodemailer/': 'SMTP delivery, at the first message',
  'libphonenumber-js/': 'phone numbers (SMS factor, phone_number claim)',
  'ioredis/': 'only with REDIS_URL',
  '@simplewebauthn/server/': 'passkeys, at the first ceremony',
  'qrcode/': 'the authenticator-app enrolment page',
  '@scalar/fastify-api-reference/': 'the /docs reference page',
  'pino-pretty/': 'pretty logs on a terminal',
  '@fastify/swagger/': 'the OpenAPI document, at its first request (it loads a YAML library)',
  'yaml/': "@fastify/swagger's, at the first request for the OpenAPI document",
  'rate-limiter-flexible/lib/RateLimiterMongo.js': 'stores that are not used (src/infra/require.ts)',
  'prom-client/lib/cluster.js': "prom-client's cluster aggregator (src/infra/require.ts)",
  'node:internal/deps/undici/undici': "Node's fetch client, which an ES import of node:http loads",
};

test('a started, idle server has not loaded the libraries of features it has not used', async () => {
  const db = await createTestDatabase();
  const dir = mkdtempSync(path.join(tmpdir(), 'hellojohn-loaded-'));
  const file = path.join(dir, 'modules.txt');
  const preload = new URL('./support/loaded-modules.mjs', import.meta.url).href;
  const server = await startServerProcess({
    ...db.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
    LOADED_MODULES_FILE: file,
  });
  try {
    assert.equal((await fetch(`${server.url}/ready`)).status, 200);
    assert.equal(await server.stop(), 0);
    const loaded = readFileSync(file, 'utf8').split('\n');
    // The record is real: the server's own framework is in it.
    assert.ok(
      loaded.some((url) => url.includes('/node_modules/fastify/')),
      'fastify was recorded',
    );
    const early = Object.entries(NOT_AT_START)
      .filter(([name]) =>
        loaded.some((url) =>
          name.startsWith('node:') ? url === name : url.includes(`/node_modules/${name}`),
        ),
      )
      .map(([name, why]) => `${name} (${why})`);
    assert.deepEqual(early, [], 'loaded at start');
  } finally {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
});
