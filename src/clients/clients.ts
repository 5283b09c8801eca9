// OAuth clients of a tenant: registration with validated metadata, listing, lookup (cached briefly: the
// token endpoint reads a client on every request), secret rotation and constant-time secret checks.
// Secrets are shown once and stored only as their SHA-256.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Invalidation } from '../cache/invalidation.js';
import type { Database, Queryable } from '../db/database.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent, type AuditEventType } from '../db/repositories/audit.js';
import {
  deleteClient,
  findClient,
  findClientAnyTenant,
  insertClient,
  listClients,
  updateClientSecret,
  updateClientSettings,
  type ClientRow,
} from '../db/repositories/clients.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import type {
  Client,
  ClientSettings,
  ClientType,
  GrantType,
  IdTokenAlg,
  NewClient,
  TokenEndpointAuthMethod,
} from './metadata.js';
import { CLIENT_ID, validateClientSettings, validateNewClient } from './validation.js';

export { CLIENT_ID, DEFAULT_CLIENT_SCOPES, DEFAULT_GRANT_TYPES } from './validation.js';
export type {
  Client,
  ClientSettings,
  ClientType,
  GrantType,
  IdTokenAlg,
  NewClient,
  TokenEndpointAuthMethod,
} from './metadata.js';

/** Who made a change, for the audit trail. */
export interface ClientActor {
  via: 'cli' | 'admin_api' | 'internal';
  adminId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface ClientsOptions {
  /** How long a looked-up client is reused by this instance (default and maximum 30 s; 0 disables). */
  cacheTtlMs?: number;
  /**
   * Cross-instance invalidation: a change here (create, rotate-secret) is published as a `client`
   * message, and messages from other instances drop the entry here.
   */
  invalidation?: Invalidation;
  /** Feature modules' part of a deletion (ModuleParts.hooks.clientDeleted), filled once they are set up. */
  deleted?: readonly ClientDeletedHook[];
}

/** Drops a module's rows about a client being deleted, inside the deletion's transaction. */
export type ClientDeletedHook = (tx: Queryable, tenant: Tenant, clientId: string) => Promise<void>;

const MAX_CACHE_TTL_MS = 30_000;
const MAX_CACHE_ENTRIES = 10_000;

interface CacheEntry {
  client: Client;
  secretHash: Buffer | null;
  at: number;
}

export class Clients {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ttlMs: number;

  constructor(
    private readonly db: Database,
    private readonly options: ClientsOptions = {},
  ) {
    this.ttlMs = Math.min(Math.max(options.cacheTtlMs ?? MAX_CACHE_TTL_MS, 0), MAX_CACHE_TTL_MS);
    options.invalidation?.on('client', (_tenantId, clientId) => this.invalidate(clientId));
    options.invalidation?.onReset(() => this.invalidate());
  }

  /** Registers a client. The secret (confidential clients, except private_key_jwt) is returned only here. */
  async create(
    tenant: Tenant,
    input: NewClient,
    actor: ClientActor = { via: 'internal' },
  ): Promise<{ client: Client; clientSecret: string | null }> {
    const valid = validateNewClient(input);
    const clientSecret =
      valid.type === 'confidential' && valid.tokenEndpointAuthMethod !== 'private_key_jwt'
        ? newOpaqueToken()
        : null;
    const clientId = valid.clientId ?? newClientId();
    const row = await this.db.transaction(async (tx) => {
      const inserted = await insertClient(tx, {
        tenantId: tenant.id,
        clientId,
        name: valid.name,
        type: valid.type,
        secretHash: clientSecret === null ? null : hashToken(clientSecret),
        redirectUris: valid.redirectUris,
        postLogoutRedirectUris: valid.postLogoutRedirectUris,
        grantTypes: valid.grantTypes,
        responseTypes: valid.responseTypes,
        tokenEndpointAuthMethod: valid.tokenEndpointAuthMethod,
        scopes: valid.scopes,
        firstParty: valid.firstParty,
        idTokenSignedResponseAlg: valid.idTokenSignedResponseAlg,
        jwks: valid.jwks,
        resourceServer: valid.resourceServer,
        tokenEndpointAuthStrict: valid.tokenEndpointAuthStrict,
        defaultAcrValues: valid.defaultAcrValues,
      });
      if (!inserted) throw new HelloJohnError('conflict', `The client_id "${clientId}" is already taken.`);
      await auditClientChange(tx, tenant, auditEvents.clientCreated, actor, {
        client_id: clientId,
        type: valid.type,
      });
      return inserted;
    });
    await this.changed(tenant, clientId);
    return { client: this.remember(row), clientSecret };
  }

  async list(tenant: Tenant): Promise<Client[]> {
    return (await listClients(this.db, tenant.id)).map((row) => this.remember(row));
  }

  /** The client of `tenant` with this client_id, or null. Cached briefly per instance. */
  async get(tenant: Tenant, clientId: string): Promise<Client | null> {
    const client = await this.findAnyTenant(clientId);
    return client && client.tenantId === tenant.id ? client : null;
  }

  /** The client with this client_id in whichever tenant (client ids are globally unique), or null. */
  async findAnyTenant(clientId: string): Promise<Client | null> {
    if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) return null;
    const hit = this.fresh(clientId);
    if (hit) return hit.client;
    const version = this.options.invalidation?.version;
    const row = await findClientAnyTenant(this.db, clientId);
    if (!row) {
      this.cache.delete(clientId);
      return null;
    }
    // An invalidation that arrived while we read may have been about this row: use it, don't cache it.
    return this.remember(row, version === this.options.invalidation?.version);
  }

  /** A new secret for a confidential client; the old one stops working at once on this instance. */
  async rotateSecret(
    tenant: Tenant,
    clientId: string,
    actor: ClientActor = { via: 'internal' },
  ): Promise<{ client: Client; clientSecret: string }> {
    const existing = CLIENT_ID.test(clientId) ? await findClient(this.db, tenant.id, clientId) : null;
    if (!existing)
      throw new HelloJohnError('not_found', `No client "${clientId}" in tenant "${tenant.slug}".`);
    if (existing.type !== 'confidential' || existing.token_endpoint_auth_method === 'private_key_jwt') {
      throw new HelloJohnError(
        'invalid_request',
        existing.type === 'public'
          ? 'A public client has no secret to rotate.'
          : 'A private_key_jwt client authenticates with its keys, not a secret.',
      );
    }
    const clientSecret = newOpaqueToken();
    const row = await this.db.transaction(async (tx) => {
      const updated = await updateClientSecret(tx, tenant.id, clientId, hashToken(clientSecret));
      if (!updated)
        throw new HelloJohnError('not_found', `No client "${clientId}" in tenant "${tenant.slug}".`);
      await auditClientChange(tx, tenant, auditEvents.clientSecretRotated, actor, { client_id: clientId });
      return updated;
    });
    await this.changed(tenant, clientId);
    return { client: this.remember(row), clientSecret };
  }

  /**
   * Changes the client's settings (name, redirect and post-logout URIs, resource_server,
   * token_endpoint_auth_strict, default_acr_values), audited.
   */
  async update(
    tenant: Tenant,
    clientId: string,
    settings: ClientSettings,
    actor: ClientActor = { via: 'internal' },
  ): Promise<Client> {
    const row = await this.db.transaction(async (tx) => {
      const current = CLIENT_ID.test(clientId) ? await findClient(tx, tenant.id, clientId) : null;
      if (!current)
        throw new HelloJohnError('not_found', `No client "${clientId}" in tenant "${tenant.slug}".`);
      // The redirect rules depend on the registered type and grants, which an update does not change.
      const valid = validateClientSettings(settings, {
        type: current.type as ClientType,
        grantTypes: current.grant_types as GrantType[],
      });
      const updated = await updateClientSettings(tx, tenant.id, clientId, valid);
      if (!updated)
        throw new HelloJohnError('not_found', `No client "${clientId}" in tenant "${tenant.slug}".`);
      await auditClientChange(tx, tenant, auditEvents.clientUpdated, actor, {
        client_id: clientId,
        name: valid.name,
        redirect_uris: valid.redirectUris,
        post_logout_redirect_uris: valid.postLogoutRedirectUris,
        resource_server: valid.resourceServer,
        token_endpoint_auth_strict: valid.tokenEndpointAuthStrict,
        default_acr_values: valid.defaultAcrValues,
      });
      return updated;
    });
    await this.changed(tenant, clientId);
    return this.remember(row);
  }

  /**
   * Deletes a client and everything issued to it (see deleteClient), with the modules' rows about it,
   * audited. Its refresh tokens stop at once; its access tokens too wherever they are checked against
   * their session (UserInfo, introspection, the account API), on every instance (the sessions' and the
   * client's cache entries are invalidated). A client_credentials token has no session: it lives out its
   * short lifetime at resource servers that only verify the signature, as any JWT does.
   */
  async delete(tenant: Tenant, clientId: string, actor: ClientActor = { via: 'internal' }): Promise<void> {
    const sessionIds = await this.db.transaction(async (tx) => {
      const ended = CLIENT_ID.test(clientId) ? await deleteClient(tx, tenant.id, clientId) : null;
      if (!ended)
        throw new HelloJohnError('not_found', `No client "${clientId}" in tenant "${tenant.slug}".`);
      for (const hook of this.options.deleted ?? []) await hook(tx, tenant, clientId);
      await auditClientChange(tx, tenant, auditEvents.clientDeleted, actor, {
        client_id: clientId,
        sessions_ended: ended.length,
      });
      return ended;
    });
    await this.changed(tenant, clientId);
    if (sessionIds.length > 0) await this.options.invalidation?.publish('session', tenant.id, sessionIds);
  }

  /**
   * Whether `presented` is the client's secret, comparing SHA-256 digests in constant time. Always false
   * for clients without a secret (public, private_key_jwt). The stored hash comes from this instance's
   * cache (so a Client object held since before a rotation does not keep the old secret alive here); a
   * mismatch re-reads it once, so a secret rotated by another process works here at once. The replaced
   * secret may keep working on other instances until they get the invalidation or their entry expires.
   */
  async verifySecret(client: Client, presented: string): Promise<boolean> {
    if (client.type !== 'confidential' || typeof presented !== 'string' || presented.length === 0)
      return false;
    const digest = hashToken(presented);
    const hit = this.fresh(client.clientId);
    const cached = hit && hit.client.tenantId === client.tenantId ? hit.secretHash : null;
    if (cached && timingSafeEqual(cached, digest)) return true;
    const stored = await this.storedHash(client);
    if (!stored || (cached && stored.equals(cached))) return false;
    return timingSafeEqual(stored, digest);
  }

  /** Drops one client (or all) from this instance's cache. */
  invalidate(clientId?: string): void {
    if (clientId === undefined) this.cache.clear();
    else this.cache.delete(clientId);
  }

  // --- internals -------------------------------------------------------------------------------------

  private async storedHash(client: Client): Promise<Buffer | null> {
    const version = this.options.invalidation?.version;
    const row = await findClient(this.db, client.tenantId, client.clientId);
    if (!row) return null;
    this.remember(row, version === this.options.invalidation?.version);
    return secretHashOf(row);
  }

  private fresh(clientId: string): CacheEntry | undefined {
    const hit = this.cache.get(clientId);
    return hit && Date.now() - hit.at < this.ttlMs ? hit : undefined;
  }

  private async changed(tenant: Tenant, clientId: string): Promise<void> {
    this.invalidate(clientId);
    await this.options.invalidation?.publish('client', tenant.id, [clientId]);
  }

  private remember(row: ClientRow, cache = true): Client {
    const client = toClient(row);
    if (cache && this.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHE_ENTRIES && !this.cache.has(client.clientId)) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
      this.cache.delete(client.clientId);
      this.cache.set(client.clientId, { client, secretHash: secretHashOf(row), at: Date.now() });
    }
    return client;
  }
}

/**
 * 16 random bytes, base64url: 22 characters, never starting with `-` or `_`, so an id is never taken for
 * an option when it is typed on a command line (`hellojohn clients update <client_id>`).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

function secretHashOf(row: ClientRow): Buffer | null {
  const hash = row.secret_hash ? Buffer.from(row.secret_hash) : null;
  return hash && hash.length === 32 ? hash : null;
}

function toClient(row: ClientRow): Client {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    clientId: row.client_id,
    name: row.name,
    type: row.type as ClientType,
    redirectUris: row.redirect_uris,
    postLogoutRedirectUris: row.post_logout_redirect_uris,
    grantTypes: row.grant_types as GrantType[],
    responseTypes: row.response_types,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod,
    scopes: row.scopes,
    firstParty: row.first_party,
    idTokenSignedResponseAlg: row.id_token_signed_response_alg as IdTokenAlg,
    jwks: row.jwks,
    resourceServer: row.resource_server,
    tokenEndpointAuthStrict: row.token_endpoint_auth_strict,
    defaultAcrValues: row.default_acr_values,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The snake_case JSON of a client (CLI `--json`, admin API). `client_secret` only when given. */
export function clientJson(client: Client, tenantSlug: string, secret?: string | null): ClientJson {
  const json: ClientJson = {
    client_id: client.clientId,
    tenant: tenantSlug,
    name: client.name,
    type: client.type,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    scopes: client.scopes,
    first_party: client.firstParty,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    resource_server: client.resourceServer,
    token_endpoint_auth_strict: client.tokenEndpointAuthStrict,
    default_acr_values: client.defaultAcrValues,
    created_at: client.createdAt.toISOString(),
  };
  if (client.jwks) json.jwks = client.jwks;
  if (secret) json.client_secret = secret;
  return json;
}

export interface ClientJson {
  client_id: string;
  tenant: string;
  name: string;
  type: ClientType;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: GrantType[];
  response_types: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  scopes: string[];
  first_party: boolean;
  id_token_signed_response_alg: IdTokenAlg;
  resource_server: boolean;
  token_endpoint_auth_strict: boolean;
  default_acr_values: string[];
  created_at: string;
  jwks?: { keys: object[] };
  client_secret?: string;
}

/** A change to a client, audited with who made it (never a secret in `data`). */
function auditClientChange(
  tx: Queryable,
  tenant: Tenant,
  type: AuditEventType,
  actor: ClientActor,
  data: Record<string, unknown>,
): Promise<void> {
  return insertAuditEvent(tx, {
    tenantId: tenant.id,
    type,
    ip: actor.ip ?? null,
    userAgent: actor.userAgent ?? null,
    data: { ...data, via: actor.via, admin_id: actor.adminId ?? null },
  });
}
