// Live sessions with their users, as bearer and cookie requests look them up, kept in this process so a
// session check usually needs no database round trip.
//
// Correctness rests on invalidation (invalidation.ts): every revocation or user change is published,
// and every instance drops the entries concerned. While those messages are known to arrive (Redis
// subscribed) entries live `ttlWithRedisMs`; otherwise (no Redis, Redis down) only `ttlMs`, which bounds
// how long another instance's revocation can go unnoticed. No entry outlives its session's own idle or
// absolute expiry, and nothing negative (unknown or ended sessions) is cached.
import type { SessionWithUser } from '../db/repositories/sessions.js';
import { noCacheEvents, type CacheEvents } from '../observability/metrics.js';
import type { Invalidation } from './invalidation.js';

export interface SessionCacheOptions {
  invalidation: Invalidation;
  /** Entry lifetime without reliable invalidation (SESSION_CACHE_TTL); 0 disables the cache. */
  ttlMs: number;
  /** Entry lifetime while invalidation is reliable (SESSION_CACHE_REDIS_TTL); 0 disables the cache. */
  ttlWithRedisMs: number;
  /** Oldest entries are evicted beyond this many. */
  maxEntries?: number;
  events?: CacheEvents;
  now?: () => number;
}

interface Entry {
  session: SessionWithUser;
  /** Epoch ms after which the entry is not used. */
  expiresAt: number;
  idKey: string;
  userKey: string;
  cookieKey: string | undefined;
}

type Load = () => Promise<SessionWithUser | null>;

const DEFAULT_MAX_ENTRIES = 50_000;
/** Expired entries are swept after this many inserts, so memory follows the sessions in recent use. */
const SWEEP_EVERY = 1_000;

export class SessionCache {
  private readonly byId = new Map<string, Entry>();
  private readonly byCookie = new Map<string, Entry>();
  private readonly byUser = new Map<string, Set<Entry>>();
  private readonly inflight = new Map<
    string,
    { version: number; promise: Promise<SessionWithUser | null> }
  >();
  private readonly events: CacheEvents;
  private readonly now: () => number;
  private readonly maxEntries: number;
  private inserts = 0;

  constructor(private readonly options: SessionCacheOptions) {
    this.events = options.events ?? noCacheEvents;
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    options.invalidation.on('session', (tenantId, id) => id && this.forgetSession(tenantId, id));
    options.invalidation.on('user', (tenantId, id) => id && this.forgetUser(tenantId, id));
    options.invalidation.onReset(() => this.clear());
  }

  /** The live session `sessionId` of a tenant: cached, or from `load` (a database read). */
  bySessionId(tenantId: string, sessionId: string, load: Load): Promise<SessionWithUser | null> {
    return this.lookup('id', `${tenantId}:${sessionId}`, load);
  }

  /**
   * The live browser session of a cookie (by its hash). `reloadIf` sends a cached session to `load`
   * anyway (which extends its idle deadline) when it says so.
   */
  byCookieHash(
    tenantId: string,
    cookieHash: Buffer,
    load: Load,
    reloadIf?: (session: SessionWithUser) => boolean,
  ): Promise<SessionWithUser | null> {
    return this.lookup('cookie', `${tenantId}:${cookieHash.toString('base64url')}`, load, reloadIf);
  }

  get size(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byId.clear();
    this.byCookie.clear();
    this.byUser.clear();
  }

  private forgetSession(tenantId: string, sessionId: string): void {
    const entry = this.byId.get(`${tenantId}:${sessionId}`);
    if (entry) this.remove(entry);
  }

  private forgetUser(tenantId: string, userId: string): void {
    for (const entry of [...(this.byUser.get(`${tenantId}:${userId}`) ?? [])]) this.remove(entry);
  }

  private ttl(): number {
    return this.options.invalidation.reliable ? this.options.ttlWithRedisMs : this.options.ttlMs;
  }

  private async lookup(
    by: 'id' | 'cookie',
    key: string,
    load: Load,
    reloadIf?: (session: SessionWithUser) => boolean,
  ): Promise<SessionWithUser | null> {
    if (this.ttl() <= 0) {
      this.events.cacheLookup('session', 'miss');
      return load();
    }
    const entry = (by === 'id' ? this.byId : this.byCookie).get(key);
    if (entry) {
      if (entry.expiresAt > this.now()) {
        if (!reloadIf?.(entry.session)) {
          this.events.cacheLookup('session', 'hit');
          return entry.session;
        }
      } else {
        this.remove(entry);
      }
    }
    this.events.cacheLookup('session', 'miss');

    // Concurrent misses of one key share a read, unless an invalidation came in since it started (the
    // shared read might predate the change it announced).
    const flightKey = `${by}|${key}`;
    const version = this.options.invalidation.version;
    const running = this.inflight.get(flightKey);
    if (running && running.version === version) return running.promise;
    const promise = load().then((session) => {
      // An invalidation during the read may concern this very row: use it, but do not keep it.
      if (session && this.options.invalidation.version === version)
        this.store(session, by === 'cookie' ? key : undefined);
      return session;
    });
    const flight = { version, promise };
    this.inflight.set(flightKey, flight);
    const done = () => {
      if (this.inflight.get(flightKey) === flight) this.inflight.delete(flightKey);
    };
    promise.then(done, done);
    return promise;
  }

  private store(session: SessionWithUser, cookieKey: string | undefined): void {
    const ttl = this.ttl();
    if (ttl <= 0) return;
    const now = this.now();
    const expiresAt = Math.min(
      now + ttl,
      new Date(session.expires_at).getTime(),
      new Date(session.idle_expires_at).getTime(),
    );
    if (!(expiresAt > now)) return;
    const idKey = `${session.tenant_id}:${session.id}`;
    const previous = this.byId.get(idKey);
    // A bearer lookup of a browser session keeps the cookie entry it replaces reachable by cookie.
    const entry: Entry = {
      session,
      expiresAt,
      idKey,
      userKey: `${session.tenant_id}:${session.user_id}`,
      cookieKey: cookieKey ?? previous?.cookieKey,
    };
    if (previous) this.remove(previous);
    const sameCookie = entry.cookieKey ? this.byCookie.get(entry.cookieKey) : undefined;
    if (sameCookie) this.remove(sameCookie);

    this.byId.set(idKey, entry);
    if (entry.cookieKey) this.byCookie.set(entry.cookieKey, entry);
    let forUser = this.byUser.get(entry.userKey);
    if (!forUser) this.byUser.set(entry.userKey, (forUser = new Set()));
    forUser.add(entry);

    if (++this.inserts % SWEEP_EVERY === 0) this.sweep(now);
    while (this.byId.size > this.maxEntries) {
      const oldest = this.byId.values().next().value;
      if (!oldest) break;
      this.remove(oldest);
    }
  }

  private remove(entry: Entry): void {
    if (this.byId.get(entry.idKey) === entry) this.byId.delete(entry.idKey);
    if (entry.cookieKey && this.byCookie.get(entry.cookieKey) === entry)
      this.byCookie.delete(entry.cookieKey);
    const forUser = this.byUser.get(entry.userKey);
    if (forUser) {
      forUser.delete(entry);
      if (forUser.size === 0) this.byUser.delete(entry.userKey);
    }
  }

  private sweep(now: number): void {
    for (const entry of this.byId.values()) if (entry.expiresAt <= now) this.remove(entry);
  }
}
