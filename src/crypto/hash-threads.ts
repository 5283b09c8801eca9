// Argon2 on threads of its own, one per core by default (PASSWORD_HASH_THREADS).
//
// Run through libuv's shared thread pool (4 threads by default), password hashes compete with token
// signing and JWT verification there: a burst of logins queues every signature behind 10-ms hashes, and
// on a 2-core machine four concurrent 19-MiB hashes thrash each other (measured: 166 verifies/s with
// 4 pool threads against 199/s with 2). Hashing here leaves libuv's pool to the short jobs.
import { Worker } from 'node:worker_threads';
import type { HashJob, HashResult } from './password-worker.js';

// Under tsx (the tests, `npm run dev`) this module is TypeScript, which a worker thread cannot load: it
// runs the built worker (`npm test` builds first; `npm ci` builds; after editing password-worker.ts,
// `npm run build`).
const workerUrl = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/crypto/password-worker.js', import.meta.url)
  : new URL('./password-worker.js', import.meta.url);

interface Queued {
  job: HashJob;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  current: Queued | undefined;
}

export class HashThreads {
  private readonly threads: Thread[] = [];
  private readonly queue: Queued[] = [];

  constructor(private readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('hash threads must be at least 1');
  }

  run(job: HashJob): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Threads started, those running a job, and jobs waiting for one. */
  stats(): { threads: number; busy: number; queued: number } {
    const busy = this.threads.filter((t) => t.current !== undefined).length;
    return { threads: this.threads.length, busy, queued: this.queue.length };
  }

  /** Stops the threads; queued and running jobs fail. */
  async close(): Promise<void> {
    const stopped = new Error('password hashing stopped');
    const threads = this.threads.splice(0);
    for (const queued of this.queue.splice(0)) queued.reject(stopped);
    for (const thread of threads) thread.current?.reject(stopped);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.threads.find((t) => t.current === undefined) ?? this.spawn();
      if (!thread) return;
      const queued = this.queue.shift()!;
      thread.current = queued;
      // A thread with work keeps the process alive (a CLI awaiting a hash); an idle one does not.
      thread.worker.ref();
      thread.worker.postMessage(queued.job);
    }
  }

  private spawn(): Thread | undefined {
    if (this.threads.length >= this.size) return undefined;
    const thread: Thread = { worker: new Worker(workerUrl), current: undefined };
    thread.worker.on('message', (result: HashResult) => {
      const done = thread.current;
      thread.current = undefined;
      thread.worker.unref();
      if (result.ok) done?.resolve(result.value);
      else done?.reject(new Error(result.message));
      this.dispatch();
    });
    const lost = (error: Error) => {
      const index = this.threads.indexOf(thread);
      if (index === -1) return;
      this.threads.splice(index, 1);
      thread.current?.reject(error);
      thread.current = undefined;
      this.dispatch();
    };
    thread.worker.on('error', lost);
    thread.worker.on('exit', (code) => lost(new Error(`password hashing thread exited (${code})`)));
    this.threads.push(thread);
    return thread;
  }
}

const shared = new Map<number, HashThreads>();

/** One set of hashing threads per process and size: every PasswordHasher with that size shares it. */
export function hashThreads(size: number): HashThreads {
  let threads = shared.get(size);
  if (!threads) {
    threads = new HashThreads(size);
    shared.set(size, threads);
  }
  return threads;
}
