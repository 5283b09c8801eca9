// A wrong SECRETBOX_MASTER_KEY stops `serve` at startup with a clear message, instead of every token
// request failing later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestApp } from './support/app.js';
import { runCli } from './support/cli.js';

const keys = (secretboxByte: number) => ({
  SIGNING_MASTER_KEY: Buffer.alloc(32, 7).toString('hex'),
  SECRETBOX_MASTER_KEY: Buffer.alloc(32, secretboxByte).toString('base64'),
});

test('serve refuses to start when the secretbox master key cannot open the stored signing keys', async () => {
  const t = await startTestApp(keys(1));
  // Creating the JWKS generates and seals the default tenant's keys.
  assert.equal((await t.get('/.well-known/jwks.json')).status, 200);
  const env = { ...t.testDb.env, BASE_URL: 'http://127.0.0.1:1', PORT: '0', HOST: '127.0.0.1' };
  await t.app.close();
  await t.db.close();
  try {
    const wrong = await runCli(['serve'], { ...env, ...keys(2) }, 60_000);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /SECRETBOX_MASTER_KEY cannot open the signing keys/);
  } finally {
    await t.testDb.drop();
  }
});
