import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { STRONG_PASSWORD } from './support/app.js';
import { startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';
import { runWorkers, sleep, timedRequest, type Timed } from './support/load.js';

test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
  const db = await createTestDatabase();
  // At debug level the server logs each request as it arrives: the test waits for that line.
  const server = await startServerProcess({ ...db.env, LOG_LEVEL: 'debug' });
  try {
    const { port } = new URL(server.url);
    // Start a request and hold its body back, so it is in flight when the signal arrives.
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk: Buffer) => (response += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const body = '{"hello":"world"}';
    socket.write(
      `POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    for (let i = 0; i < 100 && !/"msg":"request received"/.test(server.logs()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(server.logs(), /"url":"\/health"[^\n]*"msg":"request received"/);
    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(server.child.exitCode, null, 'still running while a request is in flight');

    // New connections are no longer accepted, on either listener.
    await assert.rejects(fetch(`${server.url}/health`, { headers: { connection: 'close' } }));
    await assert.rejects(fetch(`${server.managementUrl}/metrics`, { headers: { connection: 'close' } }));

    socket.write(body.slice(5));
    await closed;
    assert.match(
      response,
      /^HTTP\/1\.1 (404|405) /,
      `the held request got its answer: ${response.slice(0, 80)}`,
    );
    assert.match(response, /"error":"not_found"/);
    assert.equal(await server.exited, 0);
    assert.match(server.logs(), /shutdown complete/);
  } finally {
    server.child.kill('SIGKILL');
    await db.drop();
  }
});

test('SIGTERM under concurrent load: every request in flight completes without a 5xx, exit 0', async (t) => {
  const db = await createTestDatabase();
  // Default (OWASP) Argon2 cost, so logins take long enough to be caught in flight; debug logs each request
  // as it arrives, which is how the test knows the server has really started on it.
  const server = await startServerProcess({
    ...db.env,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_ACCOUNT: '1000000',
    RATE_LIMIT_FAILURES_PER_IP: '1000000',
    RATE_LIMIT_PER_CLIENT: '1000000',
    SHUTDOWN_TIMEOUT: '20s',
  });
  try {
    const accounts: { email: string; refresh: string; access: string; busy: boolean }[] = [];
    for (let i = 0; i < 4; i++) {
      const email = `sigterm.${i}@example.com`;
      const r = await timedRequest(server.url, 'POST', '/v2/auth/register', {
        email,
        password: STRONG_PASSWORD,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      accounts.push({
        email,
        refresh: String(r.body.refresh_token),
        access: String(r.body.access_token),
        busy: false,
      });
    }

    let counter = 0;
    const results: (Timed & { id: string })[] = [];
    const inFlight = new Set<string>();
    const step = async (worker: number) => {
      const id = `load-${worker}-${counter++}`;
      const account = accounts.find((a) => !a.busy);
      const kind = account ? ['login', 'refresh', 'me'][counter % 3] : 'me';
      const headers = { 'x-request-id': id };
      inFlight.add(id);
      let r: Timed;
      if (kind === 'login' || !account) {
        const who = accounts[worker % accounts.length]!;
        r = await timedRequest(
          server.url,
          'POST',
          '/v2/auth/login',
          { email: who.email, password: STRONG_PASSWORD },
          { headers },
        );
      } else if (kind === 'refresh') {
        account.busy = true;
        r = await timedRequest(
          server.url,
          'POST',
          '/v2/auth/refresh',
          { refresh_token: account.refresh },
          { headers },
        );
        if (r.status === 200) {
          account.refresh = String(r.body.refresh_token);
          account.access = String(r.body.access_token);
        }
        account.busy = false;
      } else {
        r = await timedRequest(server.url, 'GET', '/v2/me', undefined, {
          headers: { ...headers, authorization: `Bearer ${account.access}` },
        });
      }
      inFlight.delete(id);
      results.push({ ...r, id });
    };

    const load = runWorkers(8, step);
    await sleep(1_500);
    // Signal at a moment when requests are in flight and the server has begun every one of them: stop
    // sending and send SIGTERM in the same tick, so no request starts between the check and the signal.
    const received = (id: string) => server.logs().includes(`"request_id":"${id}"`);
    for (let i = 0; i < 2_000; i++) {
      const now = [...inFlight];
      if (now.length > 0 && now.every(received)) break;
      await sleep(1);
    }
    load.stop();
    const caught = [...inFlight];
    server.child.kill('SIGTERM');
    await load.done;
    const code = await server.exited;

    const byStatus = results.reduce<Record<string, number>>(
      (acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc),
      {},
    );
    const caughtResults = results.filter((r) => caught.includes(r.id));
    t.diagnostic(
      `${results.length} requests, ${JSON.stringify(byStatus)}; ${caught.length} in flight when SIGTERM was sent, ` +
        `answered ${JSON.stringify(caughtResults.map((r) => r.status))} within ${Math.round(Math.max(0, ...caughtResults.map((r) => r.end)) - Math.min(...caughtResults.map((r) => r.start)))} ms`,
    );
    assert.ok(caught.length > 0, 'some requests were in flight when the signal arrived');
    for (const r of results) {
      assert.ok(r.status > 0, `${r.id} ${r.path}: no answer (${r.error})`);
      assert.ok(r.status < 500, `${r.id} ${r.path}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    assert.equal(code, 0, server.logs().split('\n').slice(-5).join('\n'));
    assert.match(server.logs(), /shutdown complete/);
  } finally {
    server.child.kill('SIGKILL');
    await db.drop();
  }
});
