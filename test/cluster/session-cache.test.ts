// The session cache's own rules, without servers: hits, lifetimes capped by the session's, invalidation by
// session and by user, and a read that races with an invalidation is never kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { InvalidationBus } from '../../src/cache/invalidation.js';
import { SessionCache } from '../../src/cache/session-cache.js';
import type { SessionWithUser } from '../../src/db/repositories/sessions.js';

const T = '00000000-0000-4000-8000-000000000001';

function session(id: string, userId: string, overrides: Partial<SessionWithUser> = {}): SessionWithUser {
  const now = Date.now();
  return {
    id,
    tenant_id: T,
    user_id: userId,
    kind: 'api',
    amr: ['pwd'],
    auth_time: new Date(now),
    ip: null,
    user_agent: null,
    created_at: new Date(now),
    last_seen_at: new Date(now),
    idle_expires_at: new Date(now + 3_600_000),
    expires_at: new Date(now + 86_400_000),
    email: 'a@example.com',
    email_verified: false,
    name: null,
    user_created_at: new Date(now),
    last_login_at: null,
    has_password: true,
    ...overrides,
  };
}

function setup(ttlMs = 10_000) {
  let clock = Date.now();
  const invalidation = new InvalidationBus({ logger: pino({ level: 'silent' }) });
  const cache = new SessionCache({ invalidation, ttlMs, ttlWithRedisMs: 60_000, now: () => clock });
  return { cache, invalidation, advance: (ms: number) => (clock += ms) };
}

function counted(row: SessionWithUser | null) {
  const load = async () => {
    load.calls++;
    return row;
  };
  load.calls = 0;
  return load;
}

test('a cached session is served without reading again, until its cache lifetime ends', async () => {
  const { cache, advance } = setup(5_000);
  const load = counted(session('s1', 'u1'));
  assert.equal((await cache.bySessionId(T, 's1', load))?.id, 's1');
  assert.equal((await cache.bySessionId(T, 's1', load))?.id, 's1');
  assert.equal(load.calls, 1);
  advance(5_001);
  await cache.bySessionId(T, 's1', load);
  assert.equal(load.calls, 2, 'read again after SESSION_CACHE_TTL');
});

test('no entry outlives the idle or absolute expiry of its session', async () => {
  const { cache, advance } = setup(60_000);
  const load = counted(session('s1', 'u1', { idle_expires_at: new Date(Date.now() + 1_000) }));
  await cache.bySessionId(T, 's1', load);
  // Well past the idle expiry: the row was built from the real clock a few ms after the cache's clock.
  advance(2_000);
  await cache.bySessionId(T, 's1', load);
  assert.equal(load.calls, 2);
});

test('unknown or ended sessions are not cached', async () => {
  const { cache } = setup();
  const load = counted(null);
  assert.equal(await cache.bySessionId(T, 'gone', load), null);
  assert.equal(await cache.bySessionId(T, 'gone', load), null);
  assert.equal(load.calls, 2);
});

test('a session invalidation drops it, by id and by cookie; a user invalidation drops all of theirs', async () => {
  const { cache, invalidation } = setup();
  const cookie = Buffer.alloc(32, 7);
  const s1 = counted(session('s1', 'u1', { kind: 'browser' }));
  const s2 = counted(session('s2', 'u1'));
  const s3 = counted(session('s3', 'u2'));
  for (let n = 0; n < 2; n++) {
    await cache.byCookieHash(T, cookie, s1);
    await cache.bySessionId(T, 's2', s2);
    await cache.bySessionId(T, 's3', s3);
  }
  assert.deepEqual([s1.calls, s2.calls, s3.calls], [1, 1, 1]);
  await invalidation.publish('session', T, ['s1']);
  await cache.byCookieHash(T, cookie, s1);
  assert.equal(s1.calls, 2, 'the browser session is read again');
  await invalidation.publish('user', T, ['u1']);
  await cache.byCookieHash(T, cookie, s1);
  await cache.bySessionId(T, 's2', s2);
  await cache.bySessionId(T, 's3', s3);
  assert.deepEqual([s1.calls, s2.calls, s3.calls], [3, 2, 1], 'only the sessions of u1 were dropped');
});

test('a read during which an invalidation arrives is used but not kept, nor joined', async () => {
  const { cache, invalidation } = setup();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  const rows: (SessionWithUser | null)[] = [session('s1', 'u1'), null, null];
  const read = async () => {
    const row = rows[calls++] ?? null;
    if (calls === 1) await gate;
    return row;
  };
  // Read 1 sees the session live; the revocation commits and is announced before it returns.
  const first = cache.bySessionId(T, 's1', read);
  await invalidation.publish('session', T, ['s1']);
  // A lookup after the announcement does not share the older read: it reads (and finds it revoked).
  assert.equal(await cache.bySessionId(T, 's1', read), null);
  release();
  assert.equal((await first)?.id, 's1', 'the racing read answers its own request');
  assert.equal(await cache.bySessionId(T, 's1', read), null, 'but was not cached');
  assert.equal(calls, 3);
});

test('a cached browser session older than the touch interval is read again (idle extension)', async () => {
  const { cache } = setup();
  const cookie = Buffer.alloc(32, 9);
  const load = counted(session('b1', 'u1', { kind: 'browser', last_seen_at: new Date(Date.now() - 61_000) }));
  const stale = (s: SessionWithUser) => Date.now() - s.last_seen_at.getTime() > 60_000;
  await cache.byCookieHash(T, cookie, load, stale);
  await cache.byCookieHash(T, cookie, load, stale);
  assert.equal(load.calls, 2);
});
