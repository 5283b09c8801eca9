// CORS: the origins of CORS_ORIGINS everywhere, plus, on a tenant's own routes (/t/{slug}/... and, for the
// default tenant, the root ones), the origins its settings allow (settings.cors.allowed_origins). The
// admin API gets the configured ones only. A tenant's change reaches every instance with the tenant cache
// (the invalidation bus).
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyRequest } from 'fastify';
import { corsOriginsOf } from '../tenants/settings.js';
import { DEFAULT_TENANT, type Tenants } from '../tenants/tenants.js';

const TENANT_PATH = /^\/t\/([a-z0-9-]{1,63})(?:[/?]|$)/;

/** The @fastify/cors delegator: `tenants()` is read per request (the services are built after CORS). */
export function corsDelegator(configured: readonly string[], tenants: () => Tenants | undefined) {
  return async (request: FastifyRequest): Promise<FastifyCorsOptions> => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string') return { origin: false };
    const allowed = new Set(configured);
    const url = request.raw.url ?? request.url;
    const registry = tenants();
    if (registry && !url.startsWith('/v2/admin')) {
      const slug = TENANT_PATH.exec(url)?.[1] ?? (url.startsWith('/t/') ? undefined : DEFAULT_TENANT);
      // An unknown tenant or a database hiccup: the configured origins only, never an error here.
      const tenant = slug ? await registry.resolve(slug).catch(() => null) : null;
      for (const o of tenant ? corsOriginsOf(tenant) : []) allowed.add(o);
    }
    return allowed.has(origin) ? { origin, credentials: true } : { origin: false };
  };
}
