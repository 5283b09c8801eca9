// The HTTP skeleton through real HTTP: health and readiness, the documented error JSON for every failure,
// request ids, security headers and body limits.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import type { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { migrations } from '../src/composition.js';
import { openDatabase } from '../src/db/open.js';
import { createTestDatabase, urlFor, type TestDatabase } from './support/db.js';
import { ADMIN_URL, unlessAvailable } from './support/env.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const silent = pino({ level: 'silent' });

interface ErrorJson {
  error: string;
  error_description: string;
  request_id: string;
}

async function assertErrorJson(response: Response, status: number, code: string): Promise<ErrorJson> {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as ErrorJson;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description', 'request_id']);
  assert.equal(body.error, code);
  assert.equal(body.request_id, response.headers.get('x-request-id'));
  assert.ok(body.error_description.length > 0);
  assert.doesNotMatch(JSON.stringify(body), /\s+at\s+\S+\s+\(|node_modules|SELECT|stack/i);
  return body;
}

/** A raw request, for bodies fetch() would refuse to send or that the server cuts short. */
function rawRequest(url: string, options: http.RequestOptions, body: Buffer | string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(url, options, (response) => {
      let data = '';
      response.on('data', (chunk: Buffer) => (data += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: data }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('HTTP skeleton', () => {
  let testDb: TestDatabase;
  let db: Database;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    testDb = await createTestDatabase();
    const config = testDb.config({ HTTP_BODY_LIMIT: '65536' });
    db = await openDatabase(config, silent);
    await migrate(db, migrations, { appVersion: 'test', allowNewerSchema: false });
    app = await buildApp(config, { db, logger: silent });
    // Stand-ins for the JSON endpoints later issues add, to exercise the shared error handling.
    app.post('/test/echo', async (request) => ({ received: request.body }));
    app.get('/test/crash', async () => {
      throw new Error('boom: secret internals at /srv/app.js:1');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await app.close();
    await db.close();
    await testDb.drop();
  });

  test('GET /health answers 200', async () => {
    const response = await fetch(`${base}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('GET /ready answers 200 when the database is reachable and migrated', async () => {
    const response = await fetch(`${base}/ready`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { status: string };
    assert.equal(body.status, 'ready');
  });

  test('every response carries a request id; a safe incoming X-Request-Id is kept, an unsafe one replaced', async () => {
    const generated = await fetch(`${base}/health`);
    assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const kept = await fetch(`${base}/health`, { headers: { 'x-request-id': 'lb-1234.abc' } });
    assert.equal(kept.headers.get('x-request-id'), 'lb-1234.abc');
    const replaced = await fetch(`${base}/health`, { headers: { 'x-request-id': 'a b"<script>' } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('security headers are set: a JSON answer may not be sniffed, framed, or load anything', async () => {
    const response = await fetch(`${base}/health`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(
      response.headers.get('content-security-policy'),
      "default-src 'none'; frame-ancestors 'none'",
    );
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(response.headers.get('x-powered-by'), null);
    assert.equal(response.headers.get('strict-transport-security'), null, 'not over http');
    // The browser set is for pages only.
    assert.equal(response.headers.get('cross-origin-opener-policy'), null);
  });

  test('an unknown route gets the documented 404 JSON', async () => {
    const body = await assertErrorJson(await fetch(`${base}/no/such/route?token=abc`), 404, 'not_found');
    assert.doesNotMatch(body.error_description, /token=abc/, 'query strings are not echoed');
  });

  test('malformed JSON gets 400 invalid_request', async () => {
    for (const payload of ['{"email": ', '{bad json}', '\u0000\u0001', '[1,2,', '"unterminated']) {
      const response = await fetch(`${base}/test/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      await assertErrorJson(response, 400, 'invalid_request');
    }
  });

  test('an empty JSON body gets 400 invalid_request', async () => {
    const response = await fetch(`${base}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '',
    });
    await assertErrorJson(response, 400, 'invalid_request');
  });

  test('an unsupported content type gets 415', async () => {
    const response = await fetch(`${base}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    await assertErrorJson(response, 415, 'unsupported_media_type');
  });

  test('a body over the limit gets 413, whether announced by Content-Length or streamed', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    const json = Buffer.concat([Buffer.from('{"a":"'), big, Buffer.from('"}')]);
    const announced = await rawRequest(
      `${base}/test/echo`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': json.length } },
      json,
    ).catch((error: Error) => ({ status: 0, body: error.message }));
    assert.equal(announced.status, 413, announced.body);
    assert.equal((JSON.parse(announced.body) as ErrorJson).error, 'payload_too_large');

    const chunked = await rawRequest(
      `${base}/test/echo`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
      json,
    ).catch((error: Error) => ({ status: 0, body: error.message }));
    assert.equal(chunked.status, 413, chunked.body);
  });

  test('an unexpected error gets a generic 500 without internals', async () => {
    const body = await assertErrorJson(await fetch(`${base}/test/crash`), 500, 'server_error');
    assert.doesNotMatch(body.error_description, /boom|secret|srv/);
  });
});

describe('readiness', () => {
  test('GET /ready is 503 with Retry-After while migrations are pending', async () => {
    const testDb = await createTestDatabase();
    const config = testDb.config();
    const db = await openDatabase(config, silent);
    const app = await buildApp(config, { db, logger: silent });
    try {
      const response = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '5');
      const body = response.json<ErrorJson>();
      assert.equal(body.error, 'service_unavailable');
      assert.match(body.error_description, /pending/);
    } finally {
      await app.close();
      await db.close();
      await testDb.drop();
    }
  });

  test(
    'GET /ready is 503 while PostgreSQL is unreachable and 200 again when it returns',
    { skip: unlessAvailable({ postgres: true }) },
    async () => {
      const testDb = await createTestDatabase();
      const admin = new URL(ADMIN_URL!);
      const proxy = await startTcpProxy(admin.hostname, Number(admin.port || 5432));
      const viaProxy = new URL(urlFor(ADMIN_URL!, testDb.name!));
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const config = testDb.config({ DATABASE_URL: viaProxy.toString() });
      const db = await openDatabase(config, silent);
      await migrate(db, migrations, { appVersion: 'test', allowNewerSchema: false });
      const app = await buildApp(config, { db, logger: silent });
      try {
        assert.equal((await app.inject({ method: 'GET', url: '/ready' })).statusCode, 200);
        await proxy.cut();
        const started = Date.now();
        const down = await app.inject({ method: 'GET', url: '/ready' });
        assert.equal(down.statusCode, 503);
        assert.equal(down.headers['retry-after'], '5');
        assert.equal(down.json<ErrorJson>().error, 'service_unavailable');
        assert.ok(Date.now() - started < 6_000, 'fails within the pool wait timeout, no hang');
        await proxy.restore();
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          status = (await app.inject({ method: 'GET', url: '/ready' })).statusCode;
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 200, 'ready again without a restart');
      } finally {
        await app.close();
        await db.close();
        await proxy.close();
        await testDb.drop();
      }
    },
  );
});
