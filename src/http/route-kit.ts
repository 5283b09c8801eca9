// The request helpers every route plugin shares, bound once to this app's services: core routes and
// feature modules' routes read the tenant, the account behind a bearer token and the session cookie the
// same way.
import type { FastifyRequest } from 'fastify';
import type { SessionAccess } from '../auth/session-access.js';
import type { Tenants } from '../tenants/tenants.js';
import type { RouteKit } from '../kernel/module.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import { bearerToken, tenantOf, type ClientTenantLookup } from './context.js';
import type { Cookies } from './cookies.js';
import { secondStepResponse } from './second-step.js';

export function routeKit(
  services: { tenants: Tenants; clients: ClientTenantLookup; sessionAccess: SessionAccess },
  cookies: Cookies,
): RouteKit {
  return {
    tenantOf: (request: FastifyRequest) => tenantOf(request, services.tenants, services.clients),
    account: async (request, tenant) => {
      const token = bearerToken(request);
      if (!token) throw new InvalidTokenError('An access token is required (Authorization: Bearer ...).');
      return services.sessionAccess.authenticateAccount(tenant, token);
    },
    cookies,
    secondStepResponse,
  };
}
