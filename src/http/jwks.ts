// The public signing keys of each issuer: /.well-known/jwks.json and /t/{slug}/.well-known/jwks.json.
import type { FastifyPluginAsync } from 'fastify';
import type { KeyStore } from '../keys/key-store.js';
import type { Tenants } from '../tenants/tenants.js';
import { tenantOf } from './context.js';
import { TenantParams } from './schemas.js';

export const jwksRoutes: FastifyPluginAsync<{ keys: KeyStore; tenants: Tenants }> = async (
  app,
  { keys, tenants },
) => {
  app.get('/.well-known/jwks.json', { schema: { params: TenantParams } }, async (request, reply) => {
    const tenant = await tenantOf(request, tenants);
    // Short: relying parties also refetch on an unknown kid, and a rotation should be seen quickly.
    reply.header('cache-control', 'public, max-age=60');
    // Public keys: browser applications on any origin may verify ID tokens with them.
    reply.header('access-control-allow-origin', '*');
    return keys.jwks(tenant.id);
  });
};
