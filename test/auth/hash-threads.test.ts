// Argon2 runs on hashing threads of its own (src/crypto/hash-threads.ts): answers must reach the request
// that asked, however many wait; no more hashes run at once than there are threads; a lost thread fails
// its job instead of leaving it waiting, and the next job gets a new thread.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HashThreads } from '../../src/crypto/hash-threads.js';
import { PasswordHasher } from '../../src/crypto/passwords.js';

const SMALL = { memoryKiB: 1024, iterations: 1, parallelism: 1 };

test('many verifications at once each get their own answer', async () => {
  const hasher = new PasswordHasher(SMALL, 2);
  const passwords = Array.from({ length: 12 }, (_, i) => `password number ${i}`);
  const hashes = await Promise.all(passwords.map((p) => hasher.hash(p)));
  const right = await Promise.all(hashes.map((h, i) => hasher.verify(h, passwords[i]!)));
  const wrong = await Promise.all(hashes.map((h, i) => hasher.verify(h, passwords[(i + 1) % 12]!)));
  assert.deepEqual(right, Array(12).fill(true));
  assert.deepEqual(wrong, Array(12).fill(false));
});

test('no more hashes run at once than there are threads; the rest wait in line', async () => {
  const options = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;
  for (const size of [1, 2]) {
    const threads = new HashThreads(size);
    try {
      const jobs = [1, 2, 3, 4, 5, 6].map((i) => threads.run({ op: 'hash', password: `p${i}`, options }));
      assert.deepEqual(threads.stats(), { threads: size, busy: size, queued: 6 - size });
      await Promise.all(jobs);
      assert.deepEqual(threads.stats(), { threads: size, busy: 0, queued: 0 });
    } finally {
      await threads.close();
    }
  }
});

test('a thread that dies fails its job, and the next job runs on a new thread', async () => {
  const threads = new HashThreads(1);
  try {
    const options = { algorithm: 2, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;
    await threads.run({ op: 'hash', password: 'start the thread', options });
    const running = threads.run({ op: 'hash', password: 'lost', options: { ...options, timeCost: 50 } });
    // The test reaches into the pool to kill its thread mid-job, as a crash would.
    const worker = (threads as unknown as { threads: { worker: { terminate(): Promise<number> } }[] })
      .threads[0]!.worker;
    await worker.terminate();
    await assert.rejects(running, /exited/);
    const phc = await threads.run({ op: 'hash', password: 'after', options });
    assert.match(String(phc), /^\$argon2id\$/);
  } finally {
    await threads.close();
  }
});

test('close() fails the running and the waiting jobs', async () => {
  const threads = new HashThreads(1);
  const options = { algorithm: 2, memoryCost: 1024, timeCost: 50, parallelism: 1 } as const;
  const running = assert.rejects(threads.run({ op: 'hash', password: 'running', options }), /stopped/);
  const waiting = assert.rejects(threads.run({ op: 'hash', password: 'waiting', options }), /stopped/);
  await threads.close();
  await running;
  await waiting;
});
