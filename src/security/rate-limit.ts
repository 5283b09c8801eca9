// Rate limits and login lockout. Counters live behind a RateLimitStore (in memory today; Redis later for
// several instances), so the rules here never know where the numbers are kept.
import { isIPv4, isIPv6 } from 'node:net';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { HelloJohnError } from '../errors.js';
import { rateLimiters } from '../infra/require.js';

const { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } = rateLimiters;

export interface RateLimitResult {
  /** Whether the points were granted (for `peek`: whether one more point would be). */
  allowed: boolean;
  /** Points left in the current window (0 when refused). */
  remaining: number;
  /** Whole seconds, rounded up, until a refused key may try again; at least 1 when refused, else 0. */
  retryAfterSeconds: number;
}

/** One named counter: `points` per `durationSeconds` per key. */
export interface RateLimiter {
  /** Takes `points` (default 1) from `key`; refusal is a result, not an exception. Store failures reject. */
  consume(key: string, points?: number): Promise<RateLimitResult>;
  /**
   * Gives back `points` (default 1) consumed from `key`, for work that was counted but never done. Never
   * below zero: a point whose window has ended is not given to the next one.
   */
  refund(key: string, points?: number): Promise<void>;
  /** Forgets everything about `key` (its count and any block). */
  reset(key: string): Promise<void>;
  /** Reports the state of `key` without consuming. */
  peek(key: string): Promise<RateLimitResult>;
  /** Refuses `key` for `seconds` (a whole number ≥ 1), whatever its count. */
  block(key: string, seconds: number): Promise<void>;
}

export interface RateLimiterOptions {
  /** Unique within the store: it is the key prefix, and limiters with the same name share their counts. */
  name: string;
  /** Points per window (a whole number ≥ 0). */
  points: number;
  /** Window length: a whole number of seconds ≥ 1, counted from the first consume of a key (fixed window). */
  durationSeconds: number;
  /** When set, a key that goes over is refused for this many seconds (whole, ≥ 1) instead of until the window ends. */
  blockDurationSeconds?: number;
}

/**
 * Where rate-limit counters are kept. Callers ask the store for named limiters and never see the backend.
 *
 * `memoryRateLimitStore()` (RateLimiterMemory) is right for one process; `redisRateLimitStore()` shares
 * the counters of several instances through Redis, with an in-memory insurance limiter per limiter. Both
 * go through the same adapter, which only uses `consume`/`get`/`block`/`delete`.
 *
 * Contract every store keeps, so behaviour is the same on every backend:
 * - durations are whole seconds (Redis expiry has one-second resolution), checked when the limiter is made;
 * - limiters with the same name share their counters (asking twice with different options is an error);
 * - a refused consume resolves with `allowed: false`; only a store failure rejects.
 */
export interface RateLimitStore {
  limiter(options: RateLimiterOptions): RateLimiter;
}

export function memoryRateLimitStore(): RateLimitStore {
  return namedLimiters((options) => new RateLimiterMemory(libraryOptions(options)));
}

/**
 * Counters in Redis, shared by every instance. Each limiter has an in-memory insurance limiter of the same
 * options: while Redis is unreachable, limits keep working per instance and no request fails for it.
 */
export function redisRateLimitStore(client: RedisClient, keyPrefix = 'hellojohn:rl:'): RateLimitStore {
  return namedLimiters(
    (options) =>
      new RateLimiterRedis({
        ...libraryOptions(options),
        keyPrefix: `${keyPrefix}${options.name}`,
        storeClient: client,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(libraryOptions(options)),
      }),
  );
}

/** The ioredis client a Redis store needs (structural, so this module does not import ioredis). */
export type RedisClient = object;

function libraryOptions(options: RateLimiterOptions) {
  return {
    keyPrefix: options.name,
    points: options.points,
    duration: options.durationSeconds,
    blockDuration: options.blockDurationSeconds ?? 0,
  };
}

/** One limiter per name, whatever the backend; the same name with other options is a programming error. */
function namedLimiters(create: (options: RateLimiterOptions) => RateLimiterAbstract): RateLimitStore {
  const limiters = new Map<string, { signature: string; limiter: RateLimiter }>();
  return {
    limiter(options) {
      validateOptions(options);
      const signature = JSON.stringify([
        options.points,
        options.durationSeconds,
        options.blockDurationSeconds,
      ]);
      const existing = limiters.get(options.name);
      if (existing) {
        if (existing.signature !== signature) {
          throw new Error(`Rate limiter "${options.name}" already exists with different options`);
        }
        return existing.limiter;
      }
      const limiter = adapt(create(options));
      limiters.set(options.name, { signature, limiter });
      return limiter;
    },
  };
}

function validateOptions({ name, points, durationSeconds, blockDurationSeconds }: RateLimiterOptions): void {
  if (name === '') throw new RangeError('A rate limiter needs a name');
  if (!Number.isSafeInteger(points) || points < 0) {
    throw new RangeError(`Rate limiter "${name}": points must be a whole number ≥ 0 (got ${points})`);
  }
  for (const [field, value] of [
    ['durationSeconds', durationSeconds],
    ['blockDurationSeconds', blockDurationSeconds],
  ] as const) {
    if (value !== undefined && !isWholeSeconds(value)) {
      throw new RangeError(`Rate limiter "${name}": ${field} must be a whole number ≥ 1 (got ${value})`);
    }
  }
}

/** RateLimiterMemory keeps timers, which cap a duration at about 24 days; no limit here comes close. */
const MAX_SECONDS = 2_147_483;
const isWholeSeconds = (value: number) => Number.isInteger(value) && value >= 1 && value <= MAX_SECONDS;

const secondsUntil = (msBeforeNext: number) => Math.max(1, Math.ceil(msBeforeNext / 1000));

/** Adapts any rate-limiter-flexible limiter (memory, Redis with insurance, …) to RateLimiter. */
function adapt(limiter: RateLimiterAbstract): RateLimiter {
  return {
    async consume(key, points = 1) {
      if (!Number.isSafeInteger(points) || points < 1) {
        throw new RangeError(`points to consume must be a whole number ≥ 1 (got ${points})`);
      }
      try {
        const res = await limiter.consume(key, points);
        return { allowed: true, remaining: res.remainingPoints, retryAfterSeconds: 0 };
      } catch (rejection: unknown) {
        // The library rejects with a RateLimiterRes when over the limit, with an Error when the store fails.
        if (rejection instanceof RateLimiterRes) {
          return { allowed: false, remaining: 0, retryAfterSeconds: secondsUntil(rejection.msBeforeNext) };
        }
        throw rejection;
      }
    },
    async refund(key, points = 1) {
      if (!Number.isSafeInteger(points) || points < 1) {
        throw new RangeError(`points to refund must be a whole number ≥ 1 (got ${points})`);
      }
      const res = await limiter.reward(key, points);
      // A point consumed in a window that has since ended comes back to a fresh record as credit (a
      // negative count), which would let the next window allow more than its budget. Take the credit
      // back: both stores apply increments atomically, so concurrent consumes keep their points.
      if (res.consumedPoints < 0) await limiter.penalty(key, -res.consumedPoints);
    },
    async reset(key) {
      await limiter.delete(key);
    },
    async peek(key) {
      const res = await limiter.get(key);
      // Every window here has a duration, so a record without time left is one whose timer has not run yet.
      if (res === null || res.msBeforeNext <= 0) {
        return { allowed: limiter.points > 0, remaining: limiter.points, retryAfterSeconds: 0 };
      }
      const remaining = Math.max(limiter.points - res.consumedPoints, 0);
      return remaining > 0
        ? { allowed: true, remaining, retryAfterSeconds: 0 }
        : { allowed: false, remaining: 0, retryAfterSeconds: secondsUntil(res.msBeforeNext) };
    },
    async block(key, seconds) {
      if (!isWholeSeconds(seconds)) {
        throw new RangeError(`block seconds must be a whole number ≥ 1 (got ${seconds})`);
      }
      await limiter.block(key, seconds);
    },
  };
}

export class RateLimitedError extends HelloJohnError {
  override readonly name = 'RateLimitedError';
  declare readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, options?: ErrorOptions) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(
      'rate_limited',
      `Too many requests; try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
      { ...options, retryAfterSeconds: seconds },
    );
  }
}

export interface LockoutState {
  locked: boolean;
  /** Whole seconds until the lock ends; 0 when not locked. */
  retryAfterSeconds: number;
}

const DAY_SECONDS = 24 * 60 * 60;
/** Lockouts counted per account within 24 h; far above anything the doubling needs (it caps after ~20). */
const HISTORY_POINTS = 1_000_000;

/**
 * Locks an account after `maxFailures` failed logins within the lockout window, for `lockoutMs` (rounded up
 * to whole seconds); every further lockout within 24 h of the previous one doubles the duration, capped at
 * 24 h. Keys are whatever the caller passes (e.g. `${tenantId}:${normalizedEmail}`): unknown accounts must
 * be counted exactly like real ones, so a lockout reveals nothing about which accounts exist.
 *
 * All state is in three limiters from the store (failures, lock, lockout history), so several instances
 * sharing a Redis store share the lockouts.
 */
export class LoginLockout {
  private readonly maxFailures: number;
  private readonly lockoutSeconds: number;
  private readonly capSeconds: number;
  private readonly failures: RateLimiter;
  private readonly lock: RateLimiter;
  private readonly history: RateLimiter;

  constructor(store: RateLimitStore, options: { maxFailures: number; lockoutMs: number }) {
    if (!Number.isSafeInteger(options.maxFailures) || options.maxFailures < 1) {
      throw new RangeError(`maxFailures must be a whole number ≥ 1 (got ${options.maxFailures})`);
    }
    if (!(options.lockoutMs > 0))
      throw new RangeError(`lockoutMs must be positive (got ${options.lockoutMs})`);
    this.maxFailures = options.maxFailures;
    this.lockoutSeconds = Math.ceil(options.lockoutMs / 1000);
    this.capSeconds = Math.max(DAY_SECONDS, this.lockoutSeconds);
    this.failures = store.limiter({
      name: 'login-lockout:failures',
      points: this.maxFailures,
      durationSeconds: this.lockoutSeconds,
    });
    this.lock = store.limiter({ name: 'login-lockout:locked', points: 1, durationSeconds: this.capSeconds });
    this.history = store.limiter({
      name: 'login-lockout:history',
      points: HISTORY_POINTS,
      durationSeconds: DAY_SECONDS,
    });
  }

  async check(key: string): Promise<LockoutState> {
    const lock = await this.lock.peek(key);
    return lock.allowed
      ? { locked: false, retryAfterSeconds: 0 }
      : { locked: true, retryAfterSeconds: lock.retryAfterSeconds };
  }

  /**
   * Starts a login attempt on `key`, before the password is checked. It is refused while the account is
   * locked, and while attempts still being checked hold every failure point left: the attempt counts as a
   * failure from the start, so a burst of parallel guesses gets no more tries than the same guesses one
   * after another. `succeeded` clears the count; `failed` locks when this attempt took the last point;
   * `abandoned` gives the point back for an attempt that ended without a verdict (the database failed).
   */
  async attempt(key: string): Promise<LoginAttempt> {
    const state = await this.check(key);
    if (state.locked) return { locked: true, retryAfterSeconds: state.retryAfterSeconds };
    const reserved = await this.failures.consume(key);
    if (!reserved.allowed) {
      // Every point is held by attempts in flight: one of them is about to lock or clear the account.
      // A refused consume still counts (in both stores); give it back so it holds nothing.
      await this.failures.refund(key);
      return { locked: true, retryAfterSeconds: 1 };
    }
    // A parallel attempt may have locked the account since the check, clearing the count this point
    // came from: the lock holds for this attempt too.
    const now = await this.check(key);
    if (now.locked) {
      await this.failures.refund(key);
      return { locked: true, retryAfterSeconds: now.retryAfterSeconds };
    }
    const last = reserved.remaining === 0;
    return {
      locked: false,
      failed: () => (last ? this.lockNow(key) : Promise.resolve({ locked: false, retryAfterSeconds: 0 })),
      succeeded: () => this.failures.reset(key),
      abandoned: () => this.failures.refund(key),
    };
  }

  /** Locks `key`, doubling the duration for each lockout in the last 24 h; the failures are spent. */
  private async lockNow(key: string): Promise<LockoutState> {
    const counted = await this.history.consume(key);
    const lockouts = counted.allowed ? HISTORY_POINTS - counted.remaining : HISTORY_POINTS;
    // Restart the 24 h history window from this lockout, so "within 24 h" is measured from the latest one.
    await this.history.reset(key);
    await this.history.consume(key, lockouts);
    const seconds = Math.min(this.lockoutSeconds * 2 ** Math.min(lockouts - 1, 32), this.capSeconds);
    await this.lock.block(key, seconds);
    await this.failures.reset(key);
    return { locked: true, retryAfterSeconds: seconds };
  }

  /**
   * Lifts a lock and clears the failure count, for when the owner has proved control of the account by
   * other means (a password reset through their mailbox). The lockout history stays, so backoff still
   * applies to whoever keeps guessing.
   */
  async release(key: string): Promise<void> {
    await this.lock.reset(key);
    await this.failures.reset(key);
  }
}

/** A login attempt in progress (LoginLockout.attempt), or the lock that refused it. */
export type LoginAttempt =
  | { locked: true; retryAfterSeconds: number }
  | {
      locked: false;
      failed(): Promise<LockoutState>;
      succeeded(): Promise<void>;
      abandoned(): Promise<void>;
    };

/**
 * The key an address is limited under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 as its /64 prefix, since
 * one client usually holds a whole /64 and could otherwise rotate addresses to escape the limit.
 */
export function ipLimitKey(ip: string): string {
  const address = ip.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const toGroups = (part: string) => (part === '' ? [] : part.split(':'));
  let groups = toGroups(head);
  const tailGroups = toGroups(tail);
  // An embedded IPv4 tail (e.g. 64:ff9b::1.2.3.4) stands for two groups.
  const tailLength = tailGroups.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  if (address.includes('::'))
    groups = [...groups, ...Array<string>(8 - groups.length - tailLength).fill('0')];
  groups = [...groups, ...tailGroups];
  // An embedded IPv4 part sits in the last 32 bits, never in the /64 prefix.
  const prefix = groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}
