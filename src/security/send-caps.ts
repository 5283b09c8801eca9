// How often codes and sign-in links may be sent: a few an hour per user, phone number or address. A code
// sent is a mail or a paid text message, and each one is another chance to guess: the cap bounds both.
import type { RateLimitStore, RateLimiter } from './rate-limit.js';
import { RateLimitedError } from './rate-limit.js';

export const SENDS_PER_HOUR = 5;
const HOUR_SECONDS = 3600;

/** One hourly budget of sends, per key; `take` throws rate_limited (with Retry-After) when it is spent. */
export class HourlyCap {
  private readonly limiter: RateLimiter;

  constructor(store: RateLimitStore, name: string) {
    this.limiter = store.limiter({ name, points: SENDS_PER_HOUR, durationSeconds: HOUR_SECONDS });
  }

  async take(key: string): Promise<void> {
    const result = await this.limiter.consume(key);
    if (result.allowed) return;
    // A refused consume still counts in both stores; give it back so it holds nothing.
    await this.limiter.refund(key);
    throw new RateLimitedError(result.retryAfterSeconds);
  }

  /** For a send that never happened (the provider failed): it does not count against the user. */
  async giveBack(key: string): Promise<void> {
    await this.limiter.refund(key);
  }
}
