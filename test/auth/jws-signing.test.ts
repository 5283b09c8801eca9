// Token signatures are computed on Node's thread pool (src/crypto/jws.ts). The pool is shared: when it is
// stuck (every thread busy with long jobs), signing must not wait for it beyond a bounded queue.
import assert from 'node:assert/strict';
import { generateKeyPairSync, pbkdf2 } from 'node:crypto';
import { test } from 'node:test';
import { compactVerify } from 'jose';
import { signCompactJws } from '../../src/crypto/jws.js';

test('signatures go on when the thread pool is stuck: past 64 waiting, they are made at once', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // Occupy every pool thread (4 by default; 16 jobs cover larger pools) for a good while.
  let poolFree = false;
  const blockers = Array.from(
    { length: 16 },
    () => new Promise((resolve) => pbkdf2('x', 'salt', 600_000, 32, 'sha256', resolve)),
  );
  // A queued signature can only run once a blocker has finished.
  void Promise.race(blockers).then(() => (poolFree = true));

  let signedWhileStuck = 0;
  const tokens = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      signCompactJws({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' }, { n: i }, privateKey).then((jws) => {
        if (!poolFree) signedWhileStuck++;
        return jws;
      }),
    ),
  );
  assert.equal(
    signedWhileStuck,
    100 - 64,
    `all but the 64 queued were signed on the event loop (${signedWhileStuck})`,
  );
  for (const [i, jws] of tokens.entries()) {
    const { payload } = await compactVerify(jws, publicKey);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { n: i });
  }
  await Promise.all(blockers);
});
