// First-party auth API: /v2/auth/* (register, login, refresh, logout, config, the user's sessions),
// /v2/me and /v2/mfa/challenge. Routes parse and validate, call the services, and shape the response.
// Feature modules add their own routes (email verification, password reset, /v2/session…).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { PasswordCredentials } from '../auth/password-authenticator.js';
import { publicPolicy } from '../auth/password-policy.js';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import type { RefreshTokens } from '../auth/refresh.js';
import type { Registration } from '../auth/registration.js';
import type { SessionAccess } from '../auth/session-access.js';
import type { Config } from '../config.js';
import type { Authenticator } from '../kernel/authentication.js';
import { HelloJohnError } from '../errors.js';
import type { ModuleParts, RouteKit } from '../kernel/module.js';
import { metaOf } from './context.js';
import {
  Credentials,
  Name,
  OpaqueToken,
  Password,
  Email,
  TenantId,
  TenantParams,
  TenantQuery,
  Uuid,
} from './schemas.js';

export interface AuthRoutesOptions {
  services: {
    config: Config;
    registration: Registration;
    login: Login;
    passwordAuthenticator: PasswordAuthenticator;
    refreshTokens: RefreshTokens;
    sessionAccess: SessionAccess;
    /** Every sign-in method (for /v2/auth/config). */
    authenticators: readonly Authenticator<never>[];
    modules: readonly { parts: ModuleParts }[];
  };
  kit: RouteKit;
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { services, kit }) => {
  const { registration, login, passwordAuthenticator: password, refreshTokens, sessionAccess } = services;
  // Token and session responses must never be cached by browsers or proxies.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    done(null, payload);
  });

  const tenant = kit.tenantOf;
  const requireBearer = kit.account;

  app.post(
    '/v2/auth/register',
    {
      schema: {
        params: TenantParams,
        body: Type.Object(
          {
            email: Email,
            password: Password,
            name: Type.Optional(Name),
            tenant_id: Type.Optional(TenantId),
            client_id: Type.Optional(TenantId),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const body = request.body as { email: string; password: string; name?: string };
      const result = await registration.register(await tenant(request), body, metaOf(request));
      return reply.code(201).send({ user: result.user, ...(result.tokens ?? {}) });
    },
  );

  app.post('/v2/auth/login', { schema: { params: TenantParams, body: Credentials } }, async (request) => {
    const body = request.body as PasswordCredentials;
    const outcome = await login.api(await tenant(request), password, body, metaOf(request));
    return outcome.kind === 'second_step' ? kit.secondStepResponse(outcome.challenge) : outcome.result;
  });

  app.post(
    '/v2/mfa/challenge',
    {
      schema: {
        params: TenantParams,
        body: Type.Object(
          {
            mfa_token: Type.String({ minLength: 1, maxLength: 4096 }),
            factor: Type.String({ minLength: 1, maxLength: 64 }),
            code: Type.String({ minLength: 1, maxLength: 256 }),
            tenant_id: Type.Optional(TenantId),
            client_id: Type.Optional(TenantId),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as { mfa_token: string; factor: string; code: string };
      const done = await login.completeSecondStep(
        t,
        { challenge: body.mfa_token, factor: body.factor, code: body.code },
        metaOf(request),
      );
      if (done.kind === 'api') return done.tokens;
      const { cookie, session, user } = done.login;
      kit.cookies.set(reply, 'session', t, cookie, Math.floor(services.config.sessions.ttlMs / 1000));
      return { user, session: { id: session.id, expires_at: session.expires_at.toISOString() } };
    },
  );

  app.post(
    '/v2/auth/refresh',
    {
      schema: {
        params: TenantParams,
        body: Type.Object(
          {
            refresh_token: OpaqueToken,
            tenant_id: Type.Optional(TenantId),
            client_id: Type.Optional(TenantId),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const body = request.body as { refresh_token: string };
      return refreshTokens.refresh(await tenant(request), body.refresh_token, metaOf(request));
    },
  );

  app.post(
    '/v2/auth/logout',
    {
      schema: {
        params: TenantParams,
        body: Type.Optional(
          Type.Object(
            {
              refresh_token: Type.Optional(OpaqueToken),
              all: Type.Optional(Type.Boolean()),
              tenant_id: Type.Optional(TenantId),
            },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = (request.body ?? {}) as { refresh_token?: string; all?: boolean };
      const bearer = body.refresh_token === undefined ? (await requireBearer(request, t)).claims : undefined;
      await refreshTokens.logout(
        t,
        { refreshToken: body.refresh_token, all: body.all === true, bearer },
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );

  app.get(
    '/v2/auth/config',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => {
      const t = await tenant(request);
      return {
        tenant: { id: t.id, slug: t.slug, name: t.name },
        issuer: t.issuer,
        login_methods: Object.fromEntries(services.authenticators.map((a) => [a.method, a.enabled(t)])),
        registration_enabled: true,
        social_providers: [],
        bot_protection: { enabled: false, site_key: null },
        password_policy: publicPolicy(registration.passwordPolicy(t)),
        ...Object.assign({}, ...services.modules.map(({ parts }) => parts.authConfig?.(t) ?? {})),
      };
    },
  );

  app.get(
    '/v2/auth/password-policy',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => publicPolicy(registration.passwordPolicy(await tenant(request))),
  );

  app.get('/v2/me', { schema: { params: TenantParams, querystring: TenantQuery } }, async (request) => {
    const t = await tenant(request);
    const { session } = await requireBearer(request, t);
    return sessionAccess.me(session);
  });

  app.get(
    '/v2/auth/sessions',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => {
      const t = await tenant(request);
      const { claims } = await requireBearer(request, t);
      return { sessions: await sessionAccess.list(t, claims.sub, claims.sid) };
    },
  );

  app.get(
    '/v2/auth/sessions/:id',
    {
      schema: {
        params: Type.Object({ tenant: Type.Optional(Type.String()), id: Uuid }),
        querystring: TenantQuery,
      },
    },
    async (request) => {
      const t = await tenant(request);
      const { claims } = await requireBearer(request, t);
      const id = (request.params as { id: string }).id.toLowerCase();
      const session = (await sessionAccess.list(t, claims.sub, claims.sid)).find((s) => s.id === id);
      if (!session) throw new HelloJohnError('not_found', 'No such session.');
      return session;
    },
  );

  app.delete(
    '/v2/auth/sessions/:id',
    {
      schema: {
        params: Type.Object({ tenant: Type.Optional(Type.String()), id: Uuid }),
        querystring: TenantQuery,
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const { claims } = await requireBearer(request, t);
      await sessionAccess.revokeOwn(t, claims.sub, (request.params as { id: string }).id, metaOf(request));
      return reply.code(204).send();
    },
  );
};
