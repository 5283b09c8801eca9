import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { HelloJohnError } from '../../src/errors.js';
import {
  LoginLockout,
  RateLimitedError,
  ipLimitKey,
  memoryRateLimitStore,
  type LockoutState,
} from '../../src/security/rate-limit.js';
import { RequestLimits } from '../../src/security/request-limits.js';

const limits = (overrides: Partial<Config['rateLimits']> = {}): Config['rateLimits'] => ({
  perIpPerMinute: 3,
  failuresPerIpPerMinute: 3,
  perAccountPerMinute: 2,
  perClientPerMinute: 3,
  loginMaxFailures: 3,
  loginLockoutMs: 1000,
  ...overrides,
});

const rejectsRateLimited = async (promise: Promise<unknown>) => {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof RateLimitedError, `expected a RateLimitedError, got ${String(error)}`);
    assert.ok(error instanceof HelloJohnError);
    assert.equal(error.code, 'rate_limited');
    assert.ok(Number.isInteger(error.retryAfterSeconds) && error.retryAfterSeconds >= 1);
    assert.ok(error.retryAfterSeconds <= 60, `retry after ${error.retryAfterSeconds} s exceeds the window`);
    assert.match(error.description, /^Too many requests; try again in \d+ seconds?\.$/);
    return true;
  });
};

// Every test builds its own store, so the suites run their tests concurrently to keep the waits short.
describe('rate limiter (memory store)', { concurrency: true }, () => {
  test('allows N, then refuses with a retryAfterSeconds within the window, and recovers after it', async () => {
    const limiter = memoryRateLimitStore().limiter({ name: 't', points: 3, durationSeconds: 1 });
    assert.deepEqual(await limiter.consume('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
    assert.deepEqual(await limiter.consume('k'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
    assert.deepEqual(await limiter.consume('k'), { allowed: true, remaining: 0, retryAfterSeconds: 0 });
    const refused = await limiter.consume('k');
    assert.deepEqual(refused, { allowed: false, remaining: 0, retryAfterSeconds: 1 });
    assert.equal((await limiter.peek('k')).allowed, false);
    assert.equal((await limiter.consume('other')).allowed, true, 'other keys are not affected');
    await sleep(1100);
    assert.deepEqual(await limiter.consume('k'), { allowed: true, remaining: 2, retryAfterSeconds: 0 });
  });

  test('a refund that arrives after its window ended leaves no credit in the next window', async () => {
    // Points held across a window's end (an attempt still being checked) must not be given back into
    // the next window: that would raise its budget above N, and a guesser could grow it without bound.
    const limiter = memoryRateLimitStore().limiter({ name: 't', points: 3, durationSeconds: 1 });
    for (let i = 0; i < 3; i++) assert.equal((await limiter.consume('k')).allowed, true);
    await sleep(1100);
    for (let i = 0; i < 3; i++) await limiter.refund('k');
    let allowed = 0;
    for (let i = 0; i < 6; i++) if ((await limiter.consume('k')).allowed) allowed++;
    assert.equal(allowed, 3, 'exactly N in the new window');
  });

  test('retryAfterSeconds rounds up to whole seconds; consuming several points at once', async () => {
    const limiter = memoryRateLimitStore().limiter({ name: 't', points: 5, durationSeconds: 2 });
    assert.deepEqual(await limiter.consume('k', 5), { allowed: true, remaining: 0, retryAfterSeconds: 0 });
    const refused = await limiter.consume('k');
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 2, 'just under 2 s left rounds up to 2');
    assert.equal((await limiter.consume('j', 6)).allowed, false, 'more points than the limit are refused');
  });

  test('blockDurationSeconds keeps a key refused after it goes over', async () => {
    const limiter = memoryRateLimitStore().limiter({
      name: 't',
      points: 1,
      durationSeconds: 1,
      blockDurationSeconds: 3,
    });
    await limiter.consume('k');
    assert.equal((await limiter.consume('k')).retryAfterSeconds, 3);
  });

  test('reset forgets a key at once', async () => {
    const limiter = memoryRateLimitStore().limiter({ name: 't', points: 1, durationSeconds: 60 });
    await limiter.consume('k');
    await limiter.consume('other');
    assert.equal((await limiter.consume('k')).allowed, false);
    await limiter.reset('k');
    assert.deepEqual(await limiter.peek('k'), { allowed: true, remaining: 1, retryAfterSeconds: 0 });
    assert.equal((await limiter.consume('k')).allowed, true);
    assert.equal((await limiter.consume('other')).allowed, false, 'reset touches only its key');
  });

  test('limiters with the same name share counts (as they would on Redis); different options are refused', async () => {
    const store = memoryRateLimitStore();
    const a = store.limiter({ name: 'shared', points: 1, durationSeconds: 60 });
    const b = store.limiter({ name: 'shared', points: 1, durationSeconds: 60 });
    await a.consume('k');
    assert.equal((await b.consume('k')).allowed, false);
    assert.equal(
      (await store.limiter({ name: 'separate', points: 1, durationSeconds: 60 }).consume('k')).allowed,
      true,
    );
    assert.throws(
      () => store.limiter({ name: 'shared', points: 2, durationSeconds: 60 }),
      /different options/,
    );
  });

  test('durations must be whole seconds (Redis expiry resolution) and points whole numbers', () => {
    const store = memoryRateLimitStore();
    assert.throws(() => store.limiter({ name: 'a', points: 1, durationSeconds: 1.5 }), RangeError);
    assert.throws(() => store.limiter({ name: 'b', points: 1, durationSeconds: 0 }), RangeError);
    assert.throws(() => store.limiter({ name: 'c', points: -1, durationSeconds: 1 }), RangeError);
    assert.throws(
      () => store.limiter({ name: 'd', points: 1, durationSeconds: 1, blockDurationSeconds: 0.5 }),
      RangeError,
    );
  });
});

describe('RateLimitedError', () => {
  test('code rate_limited, whole seconds ≥ 1, description naming them', () => {
    const error = new RateLimitedError(42);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.name, 'RateLimitedError');
    assert.equal(error.retryAfterSeconds, 42);
    assert.equal(error.description, 'Too many requests; try again in 42 seconds.');
    assert.equal(new RateLimitedError(0.2).retryAfterSeconds, 1);
    assert.equal(new RateLimitedError(1.2).retryAfterSeconds, 2);
    assert.equal(new RateLimitedError(1).description, 'Too many requests; try again in 1 second.');
  });
});

/** One login attempt that fails, start to end; the lockout state after it is counted. */
async function fail(lockout: LoginLockout, key: string): Promise<LockoutState> {
  const attempt = await lockout.attempt(key);
  return attempt.locked ? attempt : attempt.failed();
}

/** One login attempt that succeeds. */
async function succeed(lockout: LoginLockout, key: string): Promise<void> {
  const attempt = await lockout.attempt(key);
  assert.equal(attempt.locked, false);
  if (!attempt.locked) await attempt.succeeded();
}

describe('login lockout', { concurrency: true }, () => {
  test('locks exactly at maxFailures, for lockoutMs, then releases', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 3, lockoutMs: 1000 });
    const key = 't1:alice@example.com';
    assert.deepEqual(await lockout.check(key), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, key), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, key), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(
      await lockout.check(key),
      { locked: false, retryAfterSeconds: 0 },
      'not before maxFailures',
    );
    assert.deepEqual(await fail(lockout, key), { locked: true, retryAfterSeconds: 1 });
    assert.deepEqual(await lockout.check(key), { locked: true, retryAfterSeconds: 1 });
    assert.deepEqual(await lockout.check('t1:bob@example.com'), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await lockout.check('t2:alice@example.com'), { locked: false, retryAfterSeconds: 0 });
    await sleep(1100);
    assert.deepEqual(
      await lockout.check(key),
      { locked: false, retryAfterSeconds: 0 },
      'released after lockoutMs',
    );
    // The failures that caused the lockout are spent: a fresh count starts.
    assert.deepEqual(await fail(lockout, key), { locked: false, retryAfterSeconds: 0 });
  });

  test('a second lockout within 24 h lasts twice as long', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 1000 });
    const key = 't1:alice@example.com';
    await fail(lockout, key);
    assert.equal((await fail(lockout, key)).retryAfterSeconds, 1);
    await sleep(1100);
    await fail(lockout, key);
    assert.deepEqual(await fail(lockout, key), { locked: true, retryAfterSeconds: 2 });
    assert.deepEqual(await lockout.check(key), { locked: true, retryAfterSeconds: 2 });
    await sleep(1100);
    assert.deepEqual(
      await lockout.check(key),
      { locked: true, retryAfterSeconds: 1 },
      'still locked after 1 s',
    );
    await sleep(1000);
    assert.deepEqual(await lockout.check(key), { locked: false, retryAfterSeconds: 0 });
  });

  test('failures older than the lockout window are forgotten', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 1000 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: false, retryAfterSeconds: 0 });
    await sleep(1100);
    assert.deepEqual(await fail(lockout, 'k'), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 1 });
  });

  test('failures while locked are not counted and do not extend the lock', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 1, lockoutMs: 60_000 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 60 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 60 });
    assert.deepEqual(await lockout.check('k'), { locked: true, retryAfterSeconds: 60 });
  });

  test('backoff doubles per lockout and is capped at 24 h', async () => {
    // Drive the shared store directly: lock n times by clearing the lock between rounds (as its expiry would).
    const store = memoryRateLimitStore();
    const lockout = new LoginLockout(store, { maxFailures: 1, lockoutMs: 15 * 60_000 });
    const lock = store.limiter({ name: 'login-lockout:locked', points: 1, durationSeconds: 24 * 3600 });
    const seen: number[] = [];
    for (let round = 0; round < 9; round++) {
      seen.push((await fail(lockout, 'k')).retryAfterSeconds / 60);
      await lock.reset('k');
    }
    assert.deepEqual(seen, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]);
  });

  test('a successful attempt clears the failure count, not the lockout history', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 3, lockoutMs: 1000 });
    const key = 't1:alice@example.com';
    await fail(lockout, key);
    await fail(lockout, key);
    await succeed(lockout, key);
    assert.deepEqual(await fail(lockout, key), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, key), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, key), { locked: true, retryAfterSeconds: 1 });
    // History survives a success: the next lockout is doubled.
    const store = memoryRateLimitStore();
    const second = new LoginLockout(store, { maxFailures: 1, lockoutMs: 60_000 });
    assert.equal((await fail(second, 'k')).retryAfterSeconds, 60);
    await store.limiter({ name: 'login-lockout:locked', points: 1, durationSeconds: 86_400 }).reset('k');
    await succeed(second, 'k');
    assert.equal((await fail(second, 'k')).retryAfterSeconds, 120);
  });

  test('parallel attempts get no more tries than sequential ones: each holds a failure point until it ends', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 3, lockoutMs: 60_000 });
    const key = 't1:alice@example.com';
    // Ten guesses in flight at once (each waiting for its password check): only three may go ahead.
    const attempts = await Promise.all(Array.from({ length: 10 }, () => lockout.attempt(key)));
    const admitted = attempts.flatMap((a) => (a.locked ? [] : [a]));
    assert.equal(admitted.length, 3);
    for (const refused of attempts.filter((a) => a.locked))
      assert.deepEqual(refused, { locked: true, retryAfterSeconds: 1 });
    // All three fail: the one that held the last point locks the account.
    const states = await Promise.all(admitted.map((a) => a.failed()));
    assert.equal(states.filter((state) => state.locked).length, 1);
    assert.deepEqual(await lockout.check(key), { locked: true, retryAfterSeconds: 60 });
  });

  test('an attempt in flight that succeeds frees the points the others hold', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 60_000 });
    const first = await lockout.attempt('k');
    const second = await lockout.attempt('k');
    assert.equal((await lockout.attempt('k')).locked, true, 'both points are held');
    assert.ok(!first.locked && !second.locked);
    // A refused attempt holds nothing: when one ends without a verdict, exactly one more is admitted.
    await first.abandoned();
    const third = await lockout.attempt('k');
    assert.equal(third.locked, false);
    assert.equal((await lockout.attempt('k')).locked, true);
    if (!third.locked) await third.succeeded();
    assert.equal((await lockout.attempt('k')).locked, false);
  });

  test('an attempt that starts while a parallel one locks the account is refused too', async () => {
    // The lock clears the failure count; an attempt checked before the lock and reserving after that
    // reset would otherwise find a fresh count. Tried at every interleaving of the two (memory store:
    // each store call is a few microtasks).
    for (let delay = 0; delay < 100; delay++) {
      const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 60_000 });
      const [first, last] = await Promise.all([lockout.attempt('k'), lockout.attempt('k')]);
      assert.ok(!first.locked && !last.locked);
      await first.failed();
      const late = (async () => {
        for (let i = 0; i < delay; i++) await Promise.resolve();
        return lockout.attempt('k');
      })();
      const [state, attempt] = await Promise.all([last.failed(), late]);
      assert.equal(state.locked, true);
      assert.equal(attempt.locked, true, `admitted after the lock (${delay} microtasks later)`);
    }
  });

  test('an abandoned attempt (no verdict: the database failed) gives its point back', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      const attempt = await lockout.attempt('k');
      assert.equal(attempt.locked, false, `attempt ${i} is admitted`);
      if (!attempt.locked) await attempt.abandoned();
    }
    assert.deepEqual(await fail(lockout, 'k'), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 60 });
  });

  test('release lifts a lock and clears the count, keeping the backoff history', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 1, lockoutMs: 60_000 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 60 });
    await lockout.release('k');
    assert.deepEqual(await lockout.check('k'), { locked: false, retryAfterSeconds: 0 });
    assert.deepEqual(await fail(lockout, 'k'), { locked: true, retryAfterSeconds: 120 });
  });

  test('unknown and known accounts behave identically', async () => {
    const lockout = new LoginLockout(memoryRateLimitStore(), { maxFailures: 2, lockoutMs: 60_000 });
    const trace = async (key: string) => [
      await lockout.check(key),
      await fail(lockout, key),
      await fail(lockout, key),
      await lockout.check(key),
      await fail(lockout, key),
    ];
    // The lockout never sees whether an account exists: the same key shape gives the same answers.
    assert.deepEqual(
      await trace('t1:registered@example.com'),
      await trace('t1:nobody-by-this-name@example.com'),
    );
  });
});

describe('request limits', () => {
  test('per IP: perIpPerMinute per action, separately per action and per IP', async () => {
    const requests = new RequestLimits(memoryRateLimitStore(), limits({ perIpPerMinute: 3 }));
    for (let i = 0; i < 3; i++) await requests.checkIp('login', '203.0.113.7');
    await rejectsRateLimited(requests.checkIp('login', '203.0.113.7'));
    await requests.checkIp('login', '203.0.113.8');
    for (const action of ['register', 'forgot', 'refresh'] as const) {
      for (let i = 0; i < 3; i++) await requests.checkIp(action, '203.0.113.7');
      await rejectsRateLimited(requests.checkIp(action, '203.0.113.7'));
    }
  });

  test('per account: perAccountPerMinute on forgot, separately per account', async () => {
    const requests = new RequestLimits(memoryRateLimitStore(), limits({ perAccountPerMinute: 2 }));
    const alice = 't1:alice@example.com';
    await requests.checkAccount('forgot', alice);
    await requests.checkAccount('forgot', alice);
    await rejectsRateLimited(requests.checkAccount('forgot', alice));
    await requests.checkAccount('forgot', 't1:bob@example.com');
  });

  test('IP and account limits are independent of each other', async () => {
    const requests = new RequestLimits(
      memoryRateLimitStore(),
      limits({ perIpPerMinute: 1, perAccountPerMinute: 1 }),
    );
    await requests.checkIp('forgot', '203.0.113.7');
    await requests.checkAccount('forgot', '203.0.113.7');
  });

  test('failure budget per address: failures keep their point, successes give it back', async () => {
    const requests = new RequestLimits(memoryRateLimitStore(), limits({ failuresPerIpPerMinute: 2 }));
    const ip = '203.0.113.7';
    for (let i = 0; i < 10; i++) await (await requests.holdFailure(ip)).giveBack();
    await requests.holdFailure(ip); // a failure: the point stays
    const inFlight = await requests.holdFailure(ip);
    // Both points are held: a third attempt is refused, and being refused holds nothing.
    await rejectsRateLimited(requests.holdFailure(ip));
    await inFlight.giveBack();
    await requests.holdFailure(ip);
    await rejectsRateLimited(requests.holdFailure(ip));
    await requests.holdFailure('203.0.113.8');
    // IPv6 per /64, like every address limit.
    await requests.holdFailure('2001:db8::1');
    await requests.holdFailure('2001:db8::2');
    await rejectsRateLimited(requests.holdFailure('2001:db8::3'));
  });

  test('token requests: per client when authenticated, per client and address when public', async () => {
    const requests = new RequestLimits(
      memoryRateLimitStore(),
      limits({ perClientPerMinute: 2, perIpPerMinute: 1 }),
    );
    const confidential = { tenantId: 't1', clientId: 'backend', authenticated: true };
    await requests.checkTokenRequest({ ...confidential, ip: '203.0.113.1' });
    await requests.checkTokenRequest({ ...confidential, ip: '203.0.113.2' });
    await rejectsRateLimited(requests.checkTokenRequest({ ...confidential, ip: '203.0.113.3' }));
    await requests.checkTokenRequest({ ...confidential, tenantId: 't2', ip: '203.0.113.3' });
    const spa = { tenantId: 't1', clientId: 'spa', authenticated: false };
    await requests.checkTokenRequest({ ...spa, ip: '203.0.113.1' });
    await rejectsRateLimited(requests.checkTokenRequest({ ...spa, ip: '203.0.113.1' }));
    await requests.checkTokenRequest({ ...spa, ip: '203.0.113.2' });
  });

  test('IPv6 clients are limited per /64, IPv4-mapped addresses as IPv4', async () => {
    const requests = new RequestLimits(memoryRateLimitStore(), limits({ perIpPerMinute: 1 }));
    await requests.checkIp('login', '2001:db8:1:2::1');
    await rejectsRateLimited(requests.checkIp('login', '2001:db8:1:2:ffff::9'));
    await requests.checkIp('login', '2001:db8:1:3::1');
    await requests.checkIp('login', '::ffff:198.51.100.1');
    await rejectsRateLimited(requests.checkIp('login', '198.51.100.1'));
    assert.equal(ipLimitKey('2001:0db8:0000:0002:0:0:0:1'), '2001:db8:0:2::/64');
    assert.equal(ipLimitKey('::1'), '0:0:0:0::/64');
    assert.equal(ipLimitKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(ipLimitKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(ipLimitKey('192.0.2.1'), '192.0.2.1');
  });
});
