// Tenants and their issuers. The default tenant's issuer is BASE_URL; tenant `acme` is BASE_URL/t/acme.
// Tenants change rarely, so each instance caches them for a short while, and drops them at once when a
// change is announced on the invalidation bus. Only tenants that exist are cached, never unknown names.
import type { Database } from '../db/database.js';
import { findTenant, type TenantRow } from '../db/repositories/tenants.js';
import { HelloJohnError } from '../errors.js';
import type { Invalidation } from '../cache/invalidation.js';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  settings: Record<string, unknown>;
  issuer: string;
}

export const DEFAULT_TENANT = 'default';
const CACHE_TTL_MS = 30_000;
const SLUG_OR_ID = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|[0-9a-fA-F-]{36})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class Tenants {
  private readonly cache = new Map<string, { tenant: Tenant; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly baseUrl: URL,
    private readonly invalidation?: Invalidation,
  ) {
    // Cached by slug and by id alike: a change to any tenant drops them all (they are few and cheap).
    invalidation?.on('tenant', () => this.invalidate());
    invalidation?.onReset(() => this.invalidate());
  }

  issuerFor(slug: string): string {
    const base = this.baseUrl.href.replace(/\/$/, '');
    return slug === DEFAULT_TENANT ? base : `${base}/t/${slug}`;
  }

  /** The tenant named by slug or id (the default tenant when none is named); not_found otherwise. */
  async resolve(slugOrId: string | undefined): Promise<Tenant> {
    const key = slugOrId ?? DEFAULT_TENANT;
    const tenant = SLUG_OR_ID.test(key) ? await this.lookup(key) : null;
    if (!tenant) throw new HelloJohnError('not_found', 'Unknown tenant.');
    return tenant;
  }

  async byId(id: string): Promise<Tenant | null> {
    return this.lookup(id);
  }

  private async lookup(slugOrId: string): Promise<Tenant | null> {
    // An id is found whatever its case: one entry for it, not one per spelling.
    const key = UUID.test(slugOrId) ? slugOrId.toLowerCase() : slugOrId;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.tenant;
    const row = await findTenant(this.db, key);
    if (!row) {
      // Misses are not remembered: the names come from unauthenticated requests, so remembering them
      // would let anyone grow the cache without bound, and a tenant created since is found at once.
      this.cache.delete(key);
      return null;
    }
    const tenant = this.toTenant(row);
    this.cache.set(key, { tenant, at: Date.now() });
    return tenant;
  }

  invalidate(): void {
    this.cache.clear();
  }

  /** A tenant's row changed (its settings): every instance drops what it cached of tenants. */
  async changed(tenantId: string): Promise<void> {
    if (this.invalidation) await this.invalidation.publish('tenant', tenantId);
    else this.invalidate();
  }

  /** Entries cached right now, at most two per tenant (slug and id); read-only, for tests and metrics. */
  get size(): number {
    return this.cache.size;
  }

  private toTenant(row: TenantRow): Tenant {
    return { ...row, settings: row.settings ?? {}, issuer: this.issuerFor(row.slug) };
  }
}
