// The embedded database belongs to one process at a time: a second one (the CLI while the server runs)
// is refused instead of silently losing writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, startServerProcess } from './support/cli.js';
import { freePort } from './support/net.js';

test('the CLI refuses the embedded database while a server holds it, and works once it stops', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-lock-'));
  const port = await freePort();
  const env = { DATA_DIR: dir, PORT: String(port), BASE_URL: `http://127.0.0.1:${port}` };
  try {
    const server = await startServerProcess(env);
    try {
      const busy = await runCli(['clients', 'list', '--json'], env);
      assert.notEqual(busy.code, 0);
      assert.match(busy.stderr, /in use by process \d+/);
    } finally {
      await server.stop();
    }
    const free = await runCli(['clients', 'list', '--json'], env);
    assert.equal(free.code, 0, free.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
