// Small request helpers shared by the route plugins: which tenant a request is for, who sent it, and the
// bearer token it carries. Parsing only; no business rules.
import type { FastifyRequest } from 'fastify';
import type { RequestMeta } from '../auth/public.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';

/** Finds the tenant a client belongs to (client ids are globally unique). */
export interface ClientTenantLookup {
  findAnyTenant(clientId: string): Promise<{ tenantId: string } | null>;
}

/** The string a request part (params, body, query: whatever the route's schema made of it) holds under `key`. */
function stringIn(part: unknown, key: 'tenant' | 'tenant_id' | 'client_id'): string | undefined {
  if (typeof part !== 'object' || part === null) return undefined;
  const value: unknown = Reflect.get(part, key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The tenant the `/t/{tenant}` prefix names, if the request came that way. */
export function tenantInPath(request: FastifyRequest): string | undefined {
  return stringIn(request.params, 'tenant');
}

/**
 * The tenant of a request: the `/t/{slug}` prefix, else `tenant_id` in the body or query, else the tenant
 * of `client_id` (first-party API only: pass `clients`), else the default tenant. Names that disagree are
 * refused rather than guessed between.
 */
export async function tenantOf(
  request: FastifyRequest,
  tenants: Tenants,
  clients?: ClientTenantLookup,
): Promise<Tenant> {
  const fromPath = tenantInPath(request);
  const named = stringIn(request.body, 'tenant_id') ?? stringIn(request.query, 'tenant_id');
  const clientId = clients
    ? (stringIn(request.body, 'client_id') ?? stringIn(request.query, 'client_id'))
    : undefined;
  let ofClient: Tenant | null = null;
  if (clientId !== undefined) {
    const client = await clients!.findAnyTenant(clientId);
    ofClient = client ? await tenants.byId(client.tenantId) : null;
    if (!ofClient) throw new HelloJohnError('invalid_request', 'Unknown client_id.');
  }
  const tenant =
    (fromPath ?? named)
      ? await tenants.resolve(fromPath ?? named)
      : (ofClient ?? (await tenants.resolve(undefined)));
  if (fromPath && named && named !== tenant.slug && named !== tenant.id) {
    throw new HelloJohnError('invalid_request', 'tenant_id does not match the tenant in the path.');
  }
  if (ofClient && ofClient.id !== tenant.id) {
    throw new HelloJohnError('invalid_request', 'client_id belongs to another tenant.');
  }
  return tenant;
}

export function metaOf(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent : null, cookies: request.cookies };
}

/** The bearer token of the Authorization header, or null when there is none. */
/** The admin API key of a request: `X-API-Key: <key>`, else `Authorization: Bearer <key>`. */
export function adminKey(request: FastifyRequest): string | null {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header.trim();
  if (header !== undefined) throw new HelloJohnError('invalid_token', 'Send one X-API-Key header.');
  return bearerToken(request);
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match) throw new HelloJohnError('invalid_token', 'The Authorization header must be "Bearer <token>".');
  return match[1]!;
}
