// Cache invalidation across instances. Whatever changes shared state (a session revoked, a user changed,
// a client or signing key replaced, tenant settings edited) publishes a message; every instance, this one
// included, drops what it cached about it. With Redis the messages travel over pub/sub on one channel;
// without it they only reach this process, and caches fall back to short lifetimes.
//
// `reliable` says whether messages from other instances are known to arrive right now: subscribed, and
// our own heartbeat came back recently. Caches may keep entries long only while it is true. Whenever it
// changes, reset listeners run, because messages may have been missed in between.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { noCacheEvents, type CacheEvents } from '../observability/metrics.js';

export type InvalidationKind = 'session' | 'user' | 'client' | 'keys' | 'tenant';
const KINDS: readonly InvalidationKind[] = ['session', 'user', 'client', 'keys', 'tenant'];

/** Called once per id (session id, user id, client id), or once with `undefined` for keys and tenants. */
export type InvalidationListener = (tenantId: string, id: string | undefined) => void;

export interface Invalidation {
  /** True while messages from every instance are known to reach this one (Redis subscription live). */
  readonly reliable: boolean;
  /**
   * Grows with every invalidation applied here and every reset. A reader that sees it change while it
   * reads from the database must not cache what it read: the message may have been about that row.
   */
  readonly version: number;
  /** Applies the invalidation here at once, then tells the other instances (never throws). */
  publish(kind: InvalidationKind, tenantId: string, ids?: readonly string[]): Promise<void>;
  on(kind: InvalidationKind, listener: InvalidationListener): () => void;
  /** Runs when everything cached must go: invalidations may have been missed (Redis lost or back). */
  onReset(listener: () => void): () => void;
  /** Sends what Redis could not take yet; true when nothing is left waiting. */
  flush(): Promise<boolean>;
  close(): Promise<void>;
}

export const INVALIDATION_CHANNEL = 'hellojohn:invalidate';
/** How often each instance publishes a heartbeat to itself over the channel. */
const HEARTBEAT_MS = 2_000;
/** A heartbeat not back within this means the subscription is stalled (Redis hung, a path lost). */
const HEARTBEAT_TIMEOUT_MS = 3_000;
/** Messages that could not be published wait for Redis to return; beyond this many, one "drop all" goes. */
const MAX_PENDING = 1_000;
const MAX_IDS_PER_MESSAGE = 1_000;

type Message =
  | { v: 1; from: string; kind: InvalidationKind; tenant: string; ids?: string[] }
  | { v: 1; from: string; kind: 'all' }
  | { v: 1; from: string; kind: 'ping' };

export interface InvalidationOptions {
  /** The shared connection (used to PUBLISH); a duplicate of it subscribes. Absent: this process only. */
  redis?: Redis;
  logger: Logger;
  events?: CacheEvents;
  channel?: string;
}

export class InvalidationBus implements Invalidation {
  private readonly instance = randomUUID();
  private readonly channel: string;
  private readonly events: CacheEvents;
  private readonly listeners = new Map<InvalidationKind, Set<InvalidationListener>>();
  private readonly resetListeners = new Set<() => void>();
  private readonly subscriber: Redis | undefined;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private subscribed = false;
  /** When the oldest heartbeat still awaited was sent; undefined when none is outstanding. */
  private awaitingSince: number | undefined;
  private stalled = false;
  private warned = false;
  private pending: string[] = [];
  private closed = false;
  private versionCounter = 0;

  constructor(private readonly options: InvalidationOptions) {
    this.channel = options.channel ?? INVALIDATION_CHANNEL;
    this.events = options.events ?? noCacheEvents;
    for (const kind of KINDS) this.listeners.set(kind, new Set());
    this.events.invalidationSubscribed(false);
    if (!options.redis) return;

    // SUBSCRIBE turns a connection into a subscriber that can run nothing else: it needs its own.
    // We resubscribe ourselves on every `ready`, to know when messages flow again.
    const subscriber = options.redis.duplicate({ autoResubscribe: false, lazyConnect: false });
    this.subscriber = subscriber;
    subscriber.on('ready', () => void this.subscribe());
    subscriber.on('close', () => this.lost('connection closed'));
    // Errors surface as `close` too; the shared connection already logs the outage once.
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get reliable(): boolean {
    return this.subscribed && !this.stalled;
  }

  get version(): number {
    return this.versionCounter;
  }

  async publish(kind: InvalidationKind, tenantId: string, ids?: readonly string[]): Promise<void> {
    this.apply(kind, tenantId, ids, 'local');
    if (!this.options.redis) return;
    const list = ids ? [...ids] : undefined;
    if (list && list.length === 0) return;
    // Chunked so one "logout everywhere" of a user with many sessions stays a modest message.
    const chunks = list ? chunk(list, MAX_IDS_PER_MESSAGE) : [undefined];
    for (const part of chunks) {
      await this.send(
        JSON.stringify({
          v: 1,
          from: this.instance,
          kind,
          tenant: tenantId,
          ...(part ? { ids: part } : {}),
        } satisfies Message),
      );
    }
  }

  on(kind: InvalidationKind, listener: InvalidationListener): () => void {
    const set = this.listeners.get(kind)!;
    set.add(listener);
    return () => set.delete(listener);
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /**
   * Sends what Redis could not take yet (for one-shot users like the CLI, which close right after a
   * change). True when nothing is left waiting.
   */
  async flush(): Promise<boolean> {
    if (!this.options.redis) return true;
    await this.flushPending();
    return this.pending.length === 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.subscriber?.disconnect();
  }

  // --- internals -------------------------------------------------------------------------------------

  private apply(
    kind: InvalidationKind,
    tenantId: string,
    ids: readonly string[] | undefined,
    origin: 'local' | 'remote',
  ): void {
    this.versionCounter++;
    this.events.cacheInvalidated(kind, origin);
    for (const listener of this.listeners.get(kind)!) {
      if (ids === undefined) listener(tenantId, undefined);
      else for (const id of ids) listener(tenantId, id);
    }
  }

  private reset(): void {
    this.versionCounter++;
    this.events.cacheInvalidated('all', 'reset');
    for (const listener of this.resetListeners) listener();
  }

  private async send(payload: string): Promise<void> {
    try {
      await this.options.redis!.publish(this.channel, payload);
    } catch {
      // Redis is down or slow: keep the message for when it returns (the other instances have lost their
      // subscription too, or will drop their caches when they notice; this covers a one-sided outage).
      this.pending.push(payload);
      if (this.pending.length > MAX_PENDING) {
        this.pending = [JSON.stringify({ v: 1, from: this.instance, kind: 'all' } satisfies Message)];
      }
    }
  }

  private async flushPending(): Promise<void> {
    const waiting = this.pending;
    this.pending = [];
    for (const payload of waiting) await this.send(payload);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber!.subscribe(this.channel);
    } catch {
      // The connection is not usable after all: reconnect, and try again on the next `ready`.
      if (!this.closed) this.subscriber!.disconnect(true);
      return;
    }
    const wasReliable = this.reliable;
    this.subscribed = true;
    this.stalled = false;
    this.awaitingSince = undefined;
    this.warned = false;
    this.events.invalidationSubscribed(true);
    if (!wasReliable) {
      this.options.logger.info('cache invalidation subscribed: session cache back to its long lifetime');
      this.reset();
    }
    void this.flushPending();
  }

  private lost(reason: string): void {
    if (this.closed) return;
    const wasReliable = this.reliable;
    this.subscribed = false;
    this.awaitingSince = undefined;
    this.events.invalidationSubscribed(false);
    if (!this.warned) {
      this.options.logger.warn(
        { err: reason },
        'cache invalidation unavailable: caches cleared, short lifetimes until Redis returns',
      );
      this.warned = true;
    }
    if (wasReliable) this.reset();
  }

  /** Publishes a heartbeat and checks that the previous one came back in time. */
  private beat(): void {
    if (!this.subscribed) return;
    const now = Date.now();
    if (
      this.awaitingSince !== undefined &&
      now - this.awaitingSince > HEARTBEAT_TIMEOUT_MS &&
      !this.stalled
    ) {
      // Connected but deaf (Redis hung, or a network path lost): stop trusting long-lived entries.
      this.stalled = true;
      this.events.invalidationSubscribed(false);
      this.options.logger.warn('cache invalidation heartbeat lost: caches cleared, short lifetimes');
      this.reset();
    }
    this.awaitingSince ??= now;
    this.options
      .redis!.publish(
        this.channel,
        JSON.stringify({ v: 1, from: this.instance, kind: 'ping' } satisfies Message),
      )
      .catch(() => {});
  }

  private receive(payload: string): void {
    const message = parse(payload);
    if (!message) return;
    if (message.from === this.instance) {
      if (message.kind === 'ping') {
        this.awaitingSince = undefined;
        if (this.stalled) {
          this.stalled = false;
          this.events.invalidationSubscribed(true);
          this.options.logger.info('cache invalidation heartbeat back');
          this.reset();
        }
      }
      // Our own invalidations were applied when published.
      return;
    }
    if (message.kind === 'ping') return;
    if (message.kind === 'all') this.reset();
    else this.apply(message.kind, message.tenant, message.ids, 'remote');
  }
}

/** Ids are only map keys here; anything else published on the channel is ignored. */
const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= 512;

/** A message from the channel, or null when it is not one of ours (anything may be published there). */
function parse(payload: string): Message | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.v !== 1 || typeof m.from !== 'string') return null;
  if (m.kind === 'all') return { v: 1, from: m.from, kind: 'all' };
  if (m.kind === 'ping') return { v: 1, from: m.from, kind: 'ping' };
  if (!KINDS.includes(m.kind as InvalidationKind) || !isId(m.tenant)) return null;
  if (m.ids === undefined) return { v: 1, from: m.from, kind: m.kind as InvalidationKind, tenant: m.tenant };
  if (!Array.isArray(m.ids) || !m.ids.every(isId)) return null;
  return { v: 1, from: m.from, kind: m.kind as InvalidationKind, tenant: m.tenant, ids: m.ids };
}

function chunk<T>(items: T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}
