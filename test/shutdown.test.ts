import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';

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

    // New connections are no longer accepted.
    await assert.rejects(fetch(`${server.url}/health`, { headers: { connection: 'close' } }));

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
