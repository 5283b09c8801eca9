// RFC 8707 resource indicators, with roles: the module's AccessTokenPolicy and its authorization check.
// - At the authorization endpoint, `resource` must name a resource of the tenant this client is allowed
//   to ask for (else invalid_target); the resource's permissions the request asks for join its scopes
//   (the core's scope check knows only the client's registered scopes). The code remembers the resource.
// - At the token endpoint a user grant's access token is for the resource its authorization named (a
//   `resource` may name it again, nothing else): aud = its identifier, scope = the grant's scopes ∩ the
//   resource's permissions ∩ the permissions the user's roles give there. Without one: our own APIs.
//   Roles are read at every token, so a role added or removed shows in the next one (refresh included).
// - client_credentials with `resource`: scope = requested (or all) ∩ what the client was granted there.
// OpenID Connect scopes stay the ID token's and UserInfo's: a resource's token carries only its permissions.
import type { Database } from '../../db/database.js';
import type { Check } from '../../oauth/authorize/request.js';
import { InvalidTarget } from '../../oauth/errors.js';
import { parseScope } from '../../oauth/scopes.js';
import type { AccessTokenPolicy, AccessTokenRequest, AccessTokenShape } from '../../oauth/token-policy.js';
import type { Tenant } from '../../tenants/tenants.js';
import {
  findTarget,
  insertGrantResource,
  tenantUsesRbac,
  userTokenContext,
  type TargetRow,
} from './repository.js';

const notAllowed = () => new InvalidTarget('The resource is unknown, or not one this client may ask for.');

export class ResourceIndicators implements AccessTokenPolicy {
  // Whether a tenant has any role or resource, asked once per cached tenant object: a tenant that does not
  // use RBAC (most) pays no query per token. Creating a role or a resource calls Tenants.changed (see
  // Rbac), so every instance drops its tenant objects and asks again.
  private readonly inUse = new WeakMap<Tenant, Promise<boolean>>();

  constructor(private readonly db: Database) {}

  private usesRbac(tenant: Tenant): Promise<boolean> {
    let known = this.inUse.get(tenant);
    if (!known) {
      known = tenantUsesRbac(this.db, tenant.id);
      // A failed read is not remembered: the next token asks again.
      known.catch(() => this.inUse.delete(tenant));
      this.inUse.set(tenant, known);
    }
    return known;
  }

  /** The authorization endpoint's check (ModuleParts.authorizationChecks). */
  readonly check: Check = async (request) => {
    const resource = request.params.resource;
    if (resource === undefined) return;
    const target = await findTarget(this.db, request.tenant.id, resource, request.client!.clientId);
    if (!target || target.client_permissions === null) throw notAllowed();
    const asked = parseScope(request.params.scope).filter(
      (s) => target.permissions.includes(s) && !request.scopes.includes(s),
    );
    request.scopes = [...request.scopes, ...asked];
  };

  async codeIssued(
    tenant: { id: string },
    sessionId: string,
    params: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (params.resource !== undefined)
      await insertGrantResource(this.db, tenant.id, sessionId, params.resource);
  }

  async accessToken(request: AccessTokenRequest): Promise<AccessTokenShape> {
    if (request.userId === undefined || request.sessionId === undefined) return this.forClient(request);
    // No role and no resource in the tenant: no grant can name a resource (the authorization check found
    // none), and the user holds no role.
    if (!(await this.usesRbac(request.tenant))) {
      if (request.resource !== undefined)
        throw new InvalidTarget('This grant is for no resource: name it in the authorization request.');
      return { claims: { roles: [] } };
    }
    const context = await userTokenContext(this.db, {
      tenantId: request.tenant.id,
      sessionId: request.sessionId,
      userId: request.userId,
      clientId: request.client.clientId,
    });
    if (context.granted === null) {
      if (request.resource !== undefined)
        throw new InvalidTarget('This grant is for no resource: name it in the authorization request.');
      return { claims: { roles: context.roles } };
    }
    if (request.resource !== undefined && request.resource !== context.granted)
      throw new InvalidTarget('Not the resource this grant was authorized for.');
    const target = context.target;
    if (!target || target.client_permissions === null)
      throw new InvalidTarget('The resource of this grant is gone, or this client may no longer ask for it.');
    const held = new Set(context.permissions);
    const scopes = request.scopes.filter((s) => target.permissions.includes(s) && held.has(s));
    return shape(target, scopes, { roles: context.roles });
  }

  /** client_credentials: nothing to add (and no query) without a resource. */
  private async forClient(request: AccessTokenRequest): Promise<AccessTokenShape> {
    if (request.resource === undefined) return {};
    const target = await findTarget(this.db, request.tenant.id, request.resource, request.client.clientId);
    if (!target || target.client_permissions === null) throw notAllowed();
    const granted = target.client_permissions.filter((p) => target.permissions.includes(p));
    const scopes = request.scopes.length === 0 ? granted : request.scopes.filter((s) => granted.includes(s));
    return shape(target, scopes, {});
  }
}

function shape(target: TargetRow, scopes: string[], claims: Record<string, unknown>): AccessTokenShape {
  return {
    audience: target.identifier,
    scopes,
    claims: { ...claims, permissions: scopes, perms: scopes },
    ...(target.access_token_ttl_seconds ? { ttlSeconds: target.access_token_ttl_seconds } : {}),
  };
}
