// The admin API, /v2/admin: installation-wide (registered once, at the root, not under /t/{slug}),
// authenticated by an admin token (`hellojohn admin create`) sent as `Authorization: Bearer <token>`.
// Routes parse and validate, call the services, and shape the response.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Admin, AdminTokens } from '../admin/admins.js';
import {
  clientJson,
  type ClientActor,
  type Clients,
  type ClientType,
  type GrantType,
  type IdTokenAlg,
  type TokenEndpointAuthMethod,
} from '../clients/clients.js';
import { HelloJohnError } from '../errors.js';
import type { Tenants } from '../tenants/tenants.js';
import { bearerToken } from './context.js';

export interface AdminRoutesOptions {
  admins: AdminTokens;
  clients: Clients;
  tenants: Tenants;
}

// Loose bounds here; the precise rules (and their invalid_client_metadata errors) live in the service,
// so the CLI and the API refuse the same things with the same words.
const Uri = Type.String({ maxLength: 4096 });
const UriList = Type.Array(Uri, { maxItems: 100 });
const Jwk = Type.Object({}, { additionalProperties: true });
const Jwks = Type.Object({ keys: Type.Array(Jwk, { maxItems: 100 }) });

const NewClientBody = Type.Object(
  {
    name: Type.String({ maxLength: 1000 }),
    type: Type.String({ maxLength: 32 }),
    redirect_uris: Type.Optional(UriList),
    post_logout_redirect_uris: Type.Optional(UriList),
    grant_types: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 10 })),
    token_endpoint_auth_method: Type.Optional(Type.String({ maxLength: 64 })),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })),
    first_party: Type.Optional(Type.Boolean()),
    id_token_signed_response_alg: Type.Optional(Type.String({ maxLength: 16 })),
    jwks: Type.Optional(Type.Union([Jwks, Type.Null()])),
    resource_server: Type.Optional(Type.Boolean()),
    token_endpoint_auth_strict: Type.Optional(Type.Boolean()),
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
type NewClientBody = Static<typeof NewClientBody>;

const ClientSettingsBody = Type.Object(
  {
    resource_server: Type.Optional(Type.Boolean()),
    token_endpoint_auth_strict: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
type ClientSettingsBody = Static<typeof ClientSettingsBody>;

const TenantParams = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 64 }) });
const ClientParams = Type.Object({
  tenant: Type.String({ minLength: 1, maxLength: 64 }),
  client_id: Type.String({ minLength: 1, maxLength: 256 }),
});

const ErrorBody = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  request_id: Type.String(),
});

const ClientJson = Type.Object({
  client_id: Type.String(),
  tenant: Type.String(),
  name: Type.String(),
  type: Type.String(),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  response_types: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String(),
  scopes: Type.Array(Type.String()),
  first_party: Type.Boolean(),
  id_token_signed_response_alg: Type.String(),
  resource_server: Type.Boolean(),
  token_endpoint_auth_strict: Type.Boolean(),
  created_at: Type.String(),
  jwks: Type.Optional(Jwks),
  client_secret: Type.Optional(Type.String()),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (
  app,
  { admins, clients, tenants },
) => {
  // Responses carry secrets (client secrets) and operator data: never cached.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  });

  // Every route here needs an admin: checked before the body is even validated, so an unauthenticated
  // caller learns nothing but 401.
  const authenticated = new WeakMap<FastifyRequest, Admin>();
  app.addHook('onRequest', async (request) => {
    const token = bearerToken(request);
    if (!token)
      throw new HelloJohnError('invalid_token', 'An admin token is required (Authorization: Bearer ...).');
    const found = await admins.authenticate(token);
    if (!found) throw new HelloJohnError('invalid_token', 'The admin token is unknown or revoked.');
    authenticated.set(request, found);
  });
  const admin = (request: FastifyRequest): Admin => {
    const found = authenticated.get(request);
    if (!found) throw new HelloJohnError('invalid_token', 'An admin token is required.');
    return found;
  };

  const actor = (request: FastifyRequest, who: Admin): ClientActor => {
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
        response: {
          200: Type.Object({ admin_id: Type.String(), email: Type.String(), token_id: Type.String() }),
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const who = admin(request);
      return { admin_id: who.id, email: who.email, token_id: who.tokenId };
    },
  );

  app.post(
    '/v2/admin/tenants/:tenant/clients',
    { schema: { params: TenantParams, body: NewClientBody, response: { 201: ClientJson, ...errors } } },
    async (request, reply) => {
      const who = admin(request);
      const tenant = await tenants.resolve((request.params as Static<typeof TenantParams>).tenant);
      const body = request.body as NewClientBody;
      const { client, clientSecret } = await clients.create(
        tenant,
        {
          name: body.name,
          type: body.type as ClientType,
          redirectUris: body.redirect_uris,
          postLogoutRedirectUris: body.post_logout_redirect_uris,
          grantTypes: body.grant_types as GrantType[] | undefined,
          tokenEndpointAuthMethod: body.token_endpoint_auth_method as TokenEndpointAuthMethod | undefined,
          scopes: body.scopes,
          firstParty: body.first_party,
          idTokenSignedResponseAlg: body.id_token_signed_response_alg as IdTokenAlg | undefined,
          jwks: body.jwks,
          resourceServer: body.resource_server,
          tokenEndpointAuthStrict: body.token_endpoint_auth_strict,
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
        params: TenantParams,
        response: { 200: Type.Object({ clients: Type.Array(ClientJson) }), ...errors },
      },
    },
    async (request) => {
      admin(request);
      const tenant = await tenants.resolve((request.params as Static<typeof TenantParams>).tenant);
      const list = await clients.list(tenant);
      return { clients: list.map((client) => clientJson(client, tenant.slug)) };
    },
  );

  app.get(
    '/v2/admin/tenants/:tenant/clients/:client_id',
    { schema: { params: ClientParams, response: { 200: ClientJson, ...errors } } },
    async (request) => {
      admin(request);
      const params = request.params as Static<typeof ClientParams>;
      const tenant = await tenants.resolve(params.tenant);
      const client = await clients.get(tenant, params.client_id);
      if (!client) throw new HelloJohnError('not_found', `No client "${params.client_id}" in this tenant.`);
      return clientJson(client, tenant.slug);
    },
  );

  app.patch(
    '/v2/admin/tenants/:tenant/clients/:client_id',
    { schema: { params: ClientParams, body: ClientSettingsBody, response: { 200: ClientJson, ...errors } } },
    async (request) => {
      const who = admin(request);
      const params = request.params as Static<typeof ClientParams>;
      const body = request.body as ClientSettingsBody;
      const tenant = await tenants.resolve(params.tenant);
      const client = await clients.update(
        tenant,
        params.client_id,
        { resourceServer: body.resource_server, tokenEndpointAuthStrict: body.token_endpoint_auth_strict },
        actor(request, who),
      );
      return clientJson(client, tenant.slug);
    },
  );

  app.post(
    '/v2/admin/tenants/:tenant/clients/:client_id/rotate-secret',
    { schema: { params: ClientParams, response: { 200: ClientJson, ...errors } } },
    async (request) => {
      const who = admin(request);
      const params = request.params as Static<typeof ClientParams>;
      const tenant = await tenants.resolve(params.tenant);
      const { client, clientSecret } = await clients.rotateSecret(
        tenant,
        params.client_id,
        actor(request, who),
      );
      return clientJson(client, tenant.slug, clientSecret);
    },
  );
};
