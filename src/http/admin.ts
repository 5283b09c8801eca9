// The admin API, /v2/admin: installation-wide (registered once, at the root, not under /t/{slug}),
// authenticated by an admin token (`hellojohn admin create`) sent as `Authorization: Bearer <token>`.
// Routes parse and validate, call the services, and shape the response.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { refusal, type Admin, type AdminRequestTarget, type AdminTokens } from '../admin/admins.js';
import { clientJson, type ClientActor, type Clients } from '../clients/clients.js';
import { HelloJohnError } from '../errors.js';
import type { AdminAuthenticator, AdminKit } from '../kernel/module.js';
import type { KeyStore } from '../keys/key-store.js';
import type { Tenants } from '../tenants/tenants.js';
import { adminKey } from './context.js';
import {
  AdminKeyJson,
  AdminKeyParams,
  AdminMeJson,
  NewAdminKeyBody,
  NewAdminKeyJson,
  SigningKeyJson,
  signingKeyJson,
  ClientJson,
  ClientParams,
  ClientSettingsBody,
  NewClientBody,
  TenantParams,
} from './schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors, noContent, type ErrorStatus } from './schemas/common.js';

// Every admin route can be refused its token (401, checked before anything else).
const adminErrors = (...more: ErrorStatus[]) => errors(401, 403, 404, ...more);

export interface AdminRoutesOptions {
  admins: AdminTokens;
  clients: Clients;
  tenants: Tenants;
  keys: KeyStore;
  /** Every audit event type this build writes (each is also a webhook event type). */
  eventTypes: readonly string[];
  /** Feature modules' admin routes, registered in this scope (behind the same token check). */
  moduleRoutes: readonly FastifyPluginAsync<{ kit: AdminKit }>[];
  /** A module's other way in (ModuleParts.adminAuthenticator), asked when the credential is no API key. */
  authenticator?: AdminAuthenticator;
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (
  plugin,
  { admins, clients, tenants, keys, eventTypes, moduleRoutes, authenticator },
) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['admin'], security: SECURITY.adminToken };
  // Responses carry secrets (client secrets) and operator data: never cached.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  });

  // Every route here needs an admin key: checked before the body is even validated, so an unauthenticated
  // caller learns nothing but 401. Then the key's scope (read-only, one tenant) is held against the route:
  // one check here covers the core's routes and every module's alike.
  const authenticated = new WeakMap<FastifyRequest, Admin>();
  app.addHook('onRequest', async (request) => {
    const key = adminKey(request);
    if (!key)
      throw new HelloJohnError(
        'invalid_token',
        'An admin API key is required (X-API-Key: <key> or Authorization: Bearer <key>).',
      );
    const found = (await admins.authenticate(key)) ?? (await signedIn(key));
    if (!found)
      throw new HelloJohnError(
        'invalid_token',
        authenticator
          ? `The admin API key or ${authenticator.via} token is unknown, expired or revoked.`
          : 'The admin API key is unknown, expired or revoked.',
      );
    const why = refusal(found, await target(request, found));
    if (why) throw new HelloJohnError('access_denied', why);
    authenticated.set(request, found);
  });
  // Not an API key: maybe a sign-in the module's authenticator knows (it throws to refuse a valid one).
  const signedIn = async (token: string): Promise<Admin | null> => {
    if (!authenticator) return null;
    const person = await authenticator.authenticate(token);
    return person ? admins.forSignIn(person.email, authenticator.via, person.sessionId) : null;
  };
  const target = async (request: FastifyRequest, who: Admin): Promise<AdminRequestTarget> => {
    const route = request.routeOptions.url ?? '';
    const slug = (request.params as { tenant?: unknown } | undefined)?.tenant;
    let tenantId: string | null | undefined = null;
    // Only a tenant key needs to know which tenant is addressed: no lookup for the others.
    if (typeof slug === 'string' && who.scope === 'tenant') {
      tenantId = await tenants.resolve(slug).then(
        (tenant) => tenant.id,
        () => undefined,
      );
    }
    return {
      reads: request.method === 'GET' || request.method === 'HEAD',
      tenantId,
      open: route === '/v2/admin/me',
      // Keys, and creating or deleting whole tenants, belong to the installation's operators.
      fullAdminOnly:
        route.startsWith('/v2/admin/api-keys') ||
        (route === '/v2/admin/tenants' && request.method === 'POST') ||
        (route === '/v2/admin/tenants/:tenant' && request.method === 'DELETE'),
    };
  };
  const admin = (request: FastifyRequest): Admin => {
    const found = authenticated.get(request);
    if (!found) throw new HelloJohnError('invalid_token', 'An admin token is required.');
    return found;
  };

  const actor = (request: FastifyRequest, who: Admin): ClientActor & { via: 'admin_api' } => {
    const agent = request.headers['user-agent'];
    return {
      via: 'admin_api',
      adminId: who.id,
      ip: request.ip,
      userAgent: typeof agent === 'string' ? agent : null,
    };
  };

  app.get(
    '/v2/admin/me',
    {
      schema: {
        ...common,
        summary: 'The admin the token belongs to',
        response: {
          200: AdminMeJson,
          ...errors(401),
        },
      },
    },
    async (request) => {
      const who = admin(request);
      const tenant = who.tenantId ? await tenants.byId(who.tenantId) : null;
      return {
        admin_id: who.id,
        email: who.email,
        token_id: who.tokenId,
        via: who.via,
        scope: who.scope,
        tenant: tenant?.slug ?? null,
      };
    },
  );

  app.get(
    '/v2/admin/event-types',
    {
      schema: {
        ...common,
        summary: 'The audit (and webhook) event types this server records',
        response: {
          200: Type.Object({
            event_types: Type.Array(Type.String(), { description: 'Sorted; each family shares its prefix.' }),
          }),
          ...errors(401, 403),
        },
      },
    },
    async () => ({ event_types: [...eventTypes].sort() }),
  );

  app.post(
    '/v2/admin/tenants/:tenant/clients',
    {
      schema: {
        ...common,
        summary: 'Register a client',
        params: TenantParams,
        body: NewClientBody,
        response: { 201: ClientJson, ...adminErrors(...BODY_ERRORS, 409) },
      },
    },
    async (request, reply) => {
      const who = admin(request);
      const tenant = await tenants.resolve(request.params.tenant);
      const body = request.body;
      const { client, clientSecret } = await clients.create(
        tenant,
        {
          name: body.name,
          type: body.type,
          redirectUris: body.redirect_uris,
          postLogoutRedirectUris: body.post_logout_redirect_uris,
          grantTypes: body.grant_types,
          tokenEndpointAuthMethod: body.token_endpoint_auth_method,
          scopes: body.scopes,
          firstParty: body.first_party,
          idTokenSignedResponseAlg: body.id_token_signed_response_alg,
          jwks: body.jwks,
          resourceServer: body.resource_server,
          tokenEndpointAuthStrict: body.token_endpoint_auth_strict,
          defaultAcrValues: body.default_acr_values,
          clientId: body.client_id,
        },
        actor(request, who),
      );
      return reply.code(201).send(clientJson(client, tenant.slug, clientSecret));
    },
  );

  app.get(
    '/v2/admin/tenants/:tenant/clients',
    {
      schema: {
        ...common,
        summary: "The tenant's clients",
        params: TenantParams,
        response: { 200: Type.Object({ clients: Type.Array(ClientJson) }), ...adminErrors(400) },
      },
    },
    async (request) => {
      admin(request);
      const tenant = await tenants.resolve(request.params.tenant);
      const list = await clients.list(tenant);
      return { clients: list.map((client) => clientJson(client, tenant.slug)) };
    },
  );

  app.get(
    '/v2/admin/tenants/:tenant/clients/:client_id',
    {
      schema: {
        ...common,
        summary: 'A client',
        params: ClientParams,
        response: { 200: ClientJson, ...adminErrors(400) },
      },
    },
    async (request) => {
      admin(request);
      const params = request.params;
      const tenant = await tenants.resolve(params.tenant);
      const client = await clients.get(tenant, params.client_id);
      if (!client) throw new HelloJohnError('not_found', `No client "${params.client_id}" in this tenant.`);
      return clientJson(client, tenant.slug);
    },
  );

  // PUT is the documented method, PATCH its synonym: one partial update (members absent keep their value).
  app.route({
    method: ['PUT', 'PATCH'],
    url: '/v2/admin/tenants/:tenant/clients/:client_id',
    schema: {
      ...common,
      summary: "Change a client's settings",
      description: 'A partial update: the members sent change, absent ones are kept. PATCH is a synonym.',
      params: ClientParams,
      body: ClientSettingsBody,
      response: { 200: ClientJson, ...adminErrors(...BODY_ERRORS) },
    },
    handler: async (request) => {
      const who = admin(request);
      const { params, body } = request;
      const tenant = await tenants.resolve(params.tenant);
      const client = await clients.update(
        tenant,
        params.client_id,
        {
          name: body.name,
          redirectUris: body.redirect_uris,
          postLogoutRedirectUris: body.post_logout_redirect_uris,
          resourceServer: body.resource_server,
          tokenEndpointAuthStrict: body.token_endpoint_auth_strict,
          defaultAcrValues: body.default_acr_values,
        },
        actor(request, who),
      );
      return clientJson(client, tenant.slug);
    },
  });

  app.delete(
    '/v2/admin/tenants/:tenant/clients/:client_id',
    {
      schema: {
        ...common,
        summary: 'Delete a client and everything issued to it',
        description:
          'Its sessions and refresh tokens, authorization codes, consents and API resource grants go ' +
          'with it: its refresh tokens are refused at once, its access tokens at UserInfo and ' +
          'introspection. Every instance forgets it at once. Audited (`client.deleted`).',
        params: ClientParams,
        response: { 204: noContent('Deleted.'), ...adminErrors(400) },
      },
    },
    async (request, reply) => {
      const who = admin(request);
      const { params } = request;
      const tenant = await tenants.resolve(params.tenant);
      await clients.delete(tenant, params.client_id, actor(request, who));
      return reply.code(204).send();
    },
  );

  app.post(
    '/v2/admin/tenants/:tenant/clients/:client_id/rotate-secret',
    {
      schema: {
        ...common,
        summary: "Rotate a confidential client's secret",
        description: 'The new secret is in the answer, once.',
        params: ClientParams,
        response: { 200: ClientJson, ...adminErrors(...BODY_ERRORS) },
      },
    },
    async (request) => {
      const who = admin(request);
      const params = request.params;
      const tenant = await tenants.resolve(params.tenant);
      const { client, clientSecret } = await clients.rotateSecret(
        tenant,
        params.client_id,
        actor(request, who),
      );
      return clientJson(client, tenant.slug, clientSecret);
    },
  );

  app.get(
    '/v2/admin/tenants/:tenant/keys',
    {
      schema: {
        ...common,
        summary: "The tenant's signing keys",
        description:
          'Active keys, and retired ones (published in the JWKS until `expires_at`). No private parts.',
        params: TenantParams,
        response: { 200: Type.Object({ keys: Type.Array(SigningKeyJson) }), ...adminErrors(400) },
      },
    },
    async (request) => {
      const tenant = await tenants.resolve(request.params.tenant);
      await keys.ensureKeys(tenant.id);
      return { keys: (await keys.list(tenant.id)).map(signingKeyJson) };
    },
  );

  app.post(
    '/v2/admin/tenants/:tenant/keys/rotate',
    {
      schema: {
        ...common,
        summary: "Rotate the tenant's signing keys",
        description:
          'New keys sign from now on; the retired ones stay in the JWKS, and keep verifying, for ' +
          'KEY_ROTATION_GRACE. Every instance is told at once.',
        params: TenantParams,
        response: {
          200: Type.Object({ retired: Type.Array(Type.String()), created: Type.Array(Type.String()) }),
          ...adminErrors(400),
        },
      },
    },
    async (request) => {
      const who = admin(request);
      const tenant = await tenants.resolve(request.params.tenant);
      return keys.rotate(tenant.id, actor(request, who));
    },
  );

  app.get(
    '/v2/admin/api-keys',
    {
      schema: {
        ...common,
        summary: 'The API keys that still work (or have expired), newest first',
        description: 'No key is ever shown again: `hint` is its start, enough to recognise it.',
        response: { 200: Type.Object({ api_keys: Type.Array(AdminKeyJson) }), ...adminErrors() },
      },
    },
    async () => ({ api_keys: await admins.list() }),
  );

  app.post(
    '/v2/admin/api-keys',
    {
      schema: {
        ...common,
        summary: 'Create an API key for the calling admin',
        description:
          'The key is in the answer, once. `scope`: `admin` (everything), `read_only` (GET only) or ' +
          '`tenant` (the routes of one tenant, named by `tenant`). Only a full admin key may call this.',
        body: NewAdminKeyBody,
        response: { 201: NewAdminKeyJson, ...adminErrors(...BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const created = await admins.issue(admin(request), {
        name: body.name ?? 'admin_api',
        scope: body.scope,
        tenant: body.tenant,
        expiresIn: body.expires_in,
      });
      return reply.code(201).send({
        id: created.tokenId,
        key: created.token,
        scope: created.scope,
        tenant: created.tenant,
        expires_at: created.expiresAt?.toISOString() ?? null,
      });
    },
  );

  app.delete(
    '/v2/admin/api-keys/:id',
    {
      schema: {
        ...common,
        summary: 'Revoke an API key (it stops working at once)',
        params: AdminKeyParams,
        response: { 204: noContent('Revoked.'), ...adminErrors(400) },
      },
    },
    async (request, reply) => {
      const who = admin(request);
      const revoked = await admins.revoke(request.params.id, { via: 'admin_api', adminId: who.id });
      if (!revoked) throw new HelloJohnError('not_found', 'No live API key with this id.');
      return reply.code(204).send();
    },
  );

  for (const routes of moduleRoutes) await app.register(routes, { kit: { admin } });
};
