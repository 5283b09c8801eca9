// The public signing keys of each issuer: /.well-known/jwks.json and /t/{slug}/.well-known/jwks.json.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { KeyStore } from '../keys/key-store.js';
import type { Tenants } from '../tenants/tenants.js';
import { tenantOf } from './context.js';
import { errors, tenantPath } from './schemas/common.js';
import { JsonWebKeySet } from './schemas/oauth.js';

export const jwksRoutes: FastifyPluginAsync<{ keys: KeyStore; tenants: Tenants }> = async (
  plugin,
  { keys, tenants },
) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const schema = {
    summary: "The issuer's public signing keys",
    tags: ['oidc'],
    params: tenantPath(app.prefix, {}),
    response: { 200: JsonWebKeySet, ...errors(404) },
  };
  app.get('/.well-known/jwks.json', { schema }, async (request, reply) => {
    const tenant = await tenantOf(request, tenants);
    // Short: relying parties also refetch on an unknown kid, and a rotation should be seen quickly.
    reply.header('cache-control', 'public, max-age=60');
    // Public keys: browser applications on any origin may verify ID tokens with them.
    reply.header('access-control-allow-origin', '*');
    return keys.jwks(tenant.id);
  });
};
