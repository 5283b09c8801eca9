// Password hashing: Argon2id through @node-rs/argon2 on hashing threads of its own (hash-threads.ts),
// stored as PHC strings
// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`). The library generates the salt and compares in
// constant time; nothing here is hand-written crypto.
//   - hash() always uses the configured parameters.
//   - verify() answers false, never throws, for anything that is not a hash it can check.
//   - needsRehash() tells the login path when to re-hash with the current parameters.
//   - verifyDummy() costs what a real verify costs, for logins of unknown users.
import { randomBytes } from 'node:crypto';
import { parseOptions } from '@node-rs/argon2';
import type { Algorithm, Version } from '@node-rs/argon2';
import { hashThreads, type HashThreads } from './hash-threads.js';

// The package declares Algorithm and Version as ambient const enums, which verbatimModuleSyntax does not
// let us read as values; these are the same members, and the type annotations check the values.
const ARGON2ID: Algorithm.Argon2id = 2;
const V0X13: Version.V0x13 = 1;

export interface Argon2Parameters {
  /** Memory cost `m`, in KiB. */
  memoryKiB: number;
  /** Time cost `t` (passes over memory). */
  iterations: number;
  /** Lanes `p`. */
  parallelism: number;
}

export class PasswordHasher {
  readonly #parameters: Readonly<Argon2Parameters>;
  readonly #threads: HashThreads;
  #dummy: Promise<string> | undefined;
  readonly #rehash = new Map<string, boolean>();

  /** `threads`: how many password-hashing threads (PASSWORD_HASH_THREADS; the default is config's). */
  constructor(parameters: Argon2Parameters, threads: number) {
    const { memoryKiB, iterations, parallelism } = parameters;
    for (const [name, value] of Object.entries({ memoryKiB, iterations, parallelism })) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`argon2 ${name} must be a positive integer (got ${String(value)})`);
      }
    }
    if (memoryKiB < 8 * parallelism) {
      throw new RangeError(`argon2 memoryKiB must be at least 8 × parallelism (${8 * parallelism})`);
    }
    this.#parameters = Object.freeze({ memoryKiB, iterations, parallelism });
    this.#threads = hashThreads(threads);
  }

  /** The hashing threads' load, shared by every hasher of this process with the same thread count. */
  stats(): { threads: number; busy: number; queued: number } {
    return this.#threads.stats();
  }

  get parameters(): Readonly<Argon2Parameters> {
    return this.#parameters;
  }

  /** A fresh PHC string (random 16-byte salt) for `password` with the configured parameters. */
  async hash(password: string): Promise<string> {
    const phc = await this.#threads.run({
      op: 'hash',
      password,
      options: {
        algorithm: ARGON2ID,
        version: V0X13,
        memoryCost: this.#parameters.memoryKiB,
        timeCost: this.#parameters.iterations,
        parallelism: this.#parameters.parallelism,
      },
    });
    return phc as string;
  }

  /** True only when `phc` is an Argon2 PHC string of `password`; false for anything else. */
  async verify(phc: string, password: string): Promise<boolean> {
    if (typeof phc !== 'string' || !phc.startsWith('$argon2')) return false;
    // A malformed PHC string is false (decided on the hashing thread); a lost thread is an error.
    return (await this.#threads.run({ op: 'verify', phc, password })) === true;
  }

  /**
   * True when `phc` is not Argon2id v1.3 with exactly the configured m, t and p (or cannot be read).
   * Asked at every sign-in: the answer is kept by the text before the salt (`$argon2id$v=19$m=…,t=…,p=…`),
   * which nearly every stored hash shares.
   */
  needsRehash(phc: string): boolean {
    const salt = phc.lastIndexOf('$', phc.lastIndexOf('$') - 1);
    const prefix = salt > 0 ? phc.slice(0, salt) : phc;
    let answer = this.#rehash.get(prefix);
    if (answer === undefined) {
      answer = this.#parseNeedsRehash(phc);
      if (this.#rehash.size >= 100) this.#rehash.clear();
      this.#rehash.set(prefix, answer);
    }
    return answer;
  }

  #parseNeedsRehash(phc: string): boolean {
    let options: ReturnType<typeof parseOptions>;
    try {
      options = parseOptions(phc);
    } catch {
      return true;
    }
    return (
      options.algorithm !== ARGON2ID ||
      options.version !== V0X13 ||
      options.memoryCost !== this.#parameters.memoryKiB ||
      options.timeCost !== this.#parameters.iterations ||
      options.parallelism !== this.#parameters.parallelism
    );
  }

  /**
   * Spends the time of one verify against a hash of a random password made (once, lazily) with the
   * configured parameters, so an unknown user's login costs what a wrong password costs. Always false.
   */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.#dummyHash(), password);
    return false;
  }

  #dummyHash(): Promise<string> {
    if (!this.#dummy) {
      const pending = this.hash(randomBytes(32).toString('base64url'));
      this.#dummy = pending;
      // A failure is not cached: the next call tries again.
      pending.catch(() => {
        if (this.#dummy === pending) this.#dummy = undefined;
      });
    }
    return this.#dummy;
  }
}
