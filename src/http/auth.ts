// First-party auth API: /v2/auth/* (register, login, refresh, logout, configuration), with the account
// routes (account.ts), the email flows (email-flows.ts) and the browser session (browser-session.ts) in
// this plugin's scope. Routes parse and validate, call the AuthService, and shape the response.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { publicPolicy } from '../auth/password-policy.js';
import { accountOf, metaOf, tenantOf, type AuthApiOptions } from './context.js';
import { accountRoutes } from './account.js';
import { browserSessionRoutes } from './browser-session.js';
import { emailFlowRoutes } from './email-flows.js';
import {
  AuthConfig,
  Credentials,
  PasswordPolicy,
  PublicUser,
  TenantFields,
  TokenResponse,
} from './schemas/auth.js';
import {
  BODY_ERRORS,
  Email,
  Name,
  OpaqueToken,
  Password,
  SECURITY,
  TenantQuery,
  errors,
  noContent,
  tenantPath,
} from './schemas/common.js';

export const authRoutes: FastifyPluginAsync<AuthApiOptions> = async (plugin, options) => {
  const { auth, tenants, clients } = options;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  // Token and session responses must never be cached by browsers or proxies.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    done(null, payload);
  });

  const tenant = (request: FastifyRequest) => tenantOf(request, tenants, clients);
  const params = tenantPath(app.prefix, {});
  const tags = ['auth'];

  app.post(
    '/v2/auth/register',
    {
      schema: {
        summary: 'Create an account',
        description: 'Answers with tokens too, unless the tenant requires a verified email first.',
        tags,
        params,
        body: Type.Object(
          { email: Email, password: Password, name: Type.Optional(Name), ...TenantFields },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            user: PublicUser,
            ...Type.Partial(TokenResponse).properties,
          }),
          ...errors(...BODY_ERRORS, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const result = await auth.register(await tenant(request), request.body, metaOf(request));
      return reply.code(201).send({ user: result.user, ...(result.tokens ?? {}) });
    },
  );

  app.post(
    '/v2/auth/login',
    {
      schema: {
        summary: 'Sign in with email and password',
        tags,
        params,
        body: Credentials,
        response: { 200: TokenResponse, ...errors(...BODY_ERRORS, 401, 403, 404, 429) },
      },
    },
    async (request) => auth.login(await tenant(request), request.body, metaOf(request)),
  );

  app.post(
    '/v2/auth/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for new tokens',
        tags,
        params,
        body: Type.Object({ refresh_token: OpaqueToken, ...TenantFields }, { additionalProperties: false }),
        response: { 200: TokenResponse, ...errors(...BODY_ERRORS, 401, 404, 429) },
      },
    },
    async (request) => auth.refresh(await tenant(request), request.body.refresh_token, metaOf(request)),
  );

  app.post(
    '/v2/auth/logout',
    {
      schema: {
        summary: 'Sign out',
        description:
          'Ends the session of `refresh_token`, or of the bearer access token when none is given; ' +
          '`all` ends every session of the user.',
        tags,
        security: SECURITY.bearerOrNone,
        params,
        body: Type.Optional(
          Type.Object(
            {
              refresh_token: Type.Optional(OpaqueToken),
              all: Type.Optional(Type.Boolean()),
              tenant_id: TenantFields.tenant_id,
            },
            { additionalProperties: false },
          ),
        ),
        response: { 204: noContent('Signed out.'), ...errors(...BODY_ERRORS, 401, 404) },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body ?? {};
      const bearer =
        body.refresh_token === undefined ? (await accountOf(auth, request, t)).claims : undefined;
      await auth.logout(
        t,
        { refreshToken: body.refresh_token, all: body.all === true, bearer },
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );

  app.get(
    '/v2/auth/config',
    {
      schema: {
        summary: 'What a sign-in screen needs to know about the tenant',
        tags,
        params,
        querystring: TenantQuery,
        response: { 200: AuthConfig, ...errors(400, 404) },
      },
    },
    async (request) => {
      const t = await tenant(request);
      return {
        tenant: { id: t.id, slug: t.slug, name: t.name },
        issuer: t.issuer,
        login_methods: { password: true, magic_link: false, passkeys: false },
        registration_enabled: true,
        social_providers: [],
        bot_protection: { enabled: false, site_key: null },
        password_policy: publicPolicy(auth.passwordPolicy(t)),
      };
    },
  );

  app.get(
    '/v2/auth/password-policy',
    {
      schema: {
        summary: "The tenant's password rules",
        tags,
        params,
        querystring: TenantQuery,
        response: { 200: PasswordPolicy, ...errors(400, 404) },
      },
    },
    async (request) => publicPolicy(auth.passwordPolicy(await tenant(request))),
  );

  // Children get their options spelled out: `options` carries this plugin's prefix, which they would add again.
  const shared = { auth, tenants, clients, config: options.config };
  await app.register(emailFlowRoutes, shared);
  await app.register(accountRoutes, shared);
  await app.register(browserSessionRoutes, shared);
};
