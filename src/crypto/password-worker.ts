// One password-hashing thread (see hash-threads.ts): runs Argon2 jobs one at a time, synchronously.
import { hashSync, verifySync, type Options } from '@node-rs/argon2';
import { parentPort } from 'node:worker_threads';

export type HashJob =
  { op: 'hash'; password: string; options: Options } | { op: 'verify'; phc: string; password: string };
export type HashResult = { ok: true; value: string | boolean } | { ok: false; message: string };

function verify(phc: string, password: string): boolean {
  try {
    return verifySync(phc, password);
  } catch {
    return false; // malformed or truncated PHC string
  }
}

parentPort?.on('message', (job: HashJob) => {
  let result: HashResult;
  try {
    result = {
      ok: true,
      value: job.op === 'hash' ? hashSync(job.password, job.options) : verify(job.phc, job.password),
    };
  } catch (error) {
    result = { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(result);
});
