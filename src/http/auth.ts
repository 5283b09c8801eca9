// First-party auth API: /v2/auth/*, /v2/me and the browser session endpoints /v2/session*.
// Routes parse and validate, call the AuthService, and shape the response.
import { Type } from '@sinclair/typebox';
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { publicPolicy } from '../auth/password-policy.js';
import type { AuthService } from '../auth/service.js';
import type { Config } from '../config.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import { basePath, sendHtml } from './authorization-flow.js';
import { bearerToken, metaOf, tenantOf, type ClientTenantLookup } from './context.js';
import { Cookies } from './cookies.js';
import { emailVerificationPage } from './views/next-steps.js';
import { Email, Name, OpaqueToken, Password, TenantId, TenantParams, TenantQuery, Uuid } from './schemas.js';

export interface AuthRoutesOptions {
  auth: AuthService;
  /** A client_id in the request names its tenant. */
  clients: ClientTenantLookup;
  tenants: Tenants;
  config: Config;
}

const Credentials = Type.Object(
  {
    email: Email,
    password: Password,
    tenant_id: Type.Optional(TenantId),
    client_id: Type.Optional(TenantId),
  },
  { additionalProperties: false },
);

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (
  app,
  { auth, tenants, clients, config },
) => {
  // Token and session responses must never be cached by browsers or proxies.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
    done(null, payload);
  });

  const tenant = (request: FastifyRequest) => tenantOf(request, tenants, clients);

  /** The authenticated user behind the bearer token, with its live session (account API rules). */
  const requireBearer = async (request: FastifyRequest, t: Tenant) => {
    const token = bearerToken(request);
    if (!token) throw new InvalidTokenError('An access token is required (Authorization: Bearer ...).');
    return auth.authenticateAccount(t, token);
  };

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
      const result = await auth.register(await tenant(request), body, metaOf(request));
      return reply.code(201).send({ user: result.user, ...(result.tokens ?? {}) });
    },
  );

  app.post('/v2/auth/login', { schema: { params: TenantParams, body: Credentials } }, async (request) => {
    const body = request.body as { email: string; password: string };
    return auth.login(await tenant(request), body, metaOf(request));
  });

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
      return auth.refresh(await tenant(request), body.refresh_token, metaOf(request));
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
      await auth.logout(
        t,
        { refreshToken: body.refresh_token, all: body.all === true, bearer },
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );

  app.post(
    '/v2/auth/forgot',
    {
      schema: {
        params: TenantParams,
        body: Type.Object(
          { email: Email, tenant_id: Type.Optional(TenantId) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      await auth.forgotPassword(
        await tenant(request),
        (request.body as { email: string }).email,
        metaOf(request),
      );
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.post(
    '/v2/auth/reset-password',
    {
      schema: {
        params: TenantParams,
        body: Type.Object(
          { token: OpaqueToken, password: Password, tenant_id: Type.Optional(TenantId) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const body = request.body as { token: string; password: string };
      await auth.resetPassword(await tenant(request), body.token, body.password, metaOf(request));
      return { status: 'password_reset' };
    },
  );

  app.post(
    '/v2/auth/verify-email/send',
    {
      schema: {
        params: TenantParams,
        body: Type.Optional(
          Type.Object(
            { email: Type.Optional(Email), tenant_id: Type.Optional(TenantId) },
            { additionalProperties: false },
          ),
        ),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const email = (request.body as { email?: string } | undefined)?.email;
      const bearer = email === undefined ? (await requireBearer(request, t)).claims : undefined;
      await auth.sendVerification(t, { bearer, email }, metaOf(request));
      return reply.code(202).send({ status: 'accepted' });
    },
  );

  app.get(
    '/v2/auth/verify-email',
    {
      schema: {
        params: TenantParams,
        querystring: Type.Object(
          { token: OpaqueToken, tenant_id: Type.Optional(TenantId) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      // A person clicking the link in their mail client gets a page; API clients get JSON.
      const accept = request.headers.accept ?? '';
      const wantsHtml = accept.includes('text/html') && !accept.includes('application/json');
      try {
        await auth.verifyEmail(t, (request.query as { token: string }).token, metaOf(request));
      } catch (error) {
        if (!wantsHtml || !(error instanceof HelloJohnError) || error.code !== 'invalid_grant') throw error;
        return sendHtml(reply, 400, emailVerificationPage(t, basePath(t), { verified: false }));
      }
      if (wantsHtml) return sendHtml(reply, 200, emailVerificationPage(t, basePath(t), { verified: true }));
      return { email_verified: true };
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
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => publicPolicy(auth.passwordPolicy(await tenant(request))),
  );

  app.get('/v2/me', { schema: { params: TenantParams, querystring: TenantQuery } }, async (request) => {
    const t = await tenant(request);
    const { session } = await requireBearer(request, t);
    return auth.me(session);
  });

  app.get(
    '/v2/auth/sessions',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => {
      const t = await tenant(request);
      const { claims } = await requireBearer(request, t);
      return { sessions: await auth.sessions(t, claims.sub, claims.sid) };
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
      const session = (await auth.sessions(t, claims.sub, claims.sid)).find((s) => s.id === id);
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
      await auth.revokeSession(t, claims.sub, (request.params as { id: string }).id, metaOf(request));
      return reply.code(204).send();
    },
  );

  // --- browser sessions (cookie) ---------------------------------------------------------------------

  const cookies = new Cookies(config.sessions);
  const cookieName = (t: Tenant) => cookies.name('session', t);
  const currentSession = async (request: FastifyRequest, t: Tenant) => {
    const session = await auth.browserSession(t, request.cookies[cookieName(t)]);
    if (!session) throw new HelloJohnError('login_required', 'No active session.');
    return session;
  };
  const clearCookie = (reply: FastifyReply, t: Tenant) => cookies.clear(reply, 'session', t);

  app.post(
    '/v2/session/login',
    { schema: { params: TenantParams, body: Credentials } },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as { email: string; password: string };
      const { cookie, session, user } = await auth.browserLogin(t, body, metaOf(request));
      cookies.set(reply, 'session', t, cookie, Math.floor(config.sessions.ttlMs / 1000));
      return { user, session: { id: session.id, expires_at: session.expires_at.toISOString() } };
    },
  );

  app.get(
    '/v2/session',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request, reply) => {
      const t = await tenant(request);
      try {
        const s = await currentSession(request, t);
        return {
          session: {
            id: s.id,
            created_at: s.created_at.toISOString(),
            expires_at: s.expires_at.toISOString(),
            amr: s.amr,
          },
          user: { id: s.user_id, email: s.email, email_verified: s.email_verified, name: s.name },
        };
      } catch (error) {
        if (request.cookies[cookieName(t)] !== undefined) clearCookie(reply, t);
        throw error;
      }
    },
  );

  app.get(
    '/v2/session/token',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request) => {
      const t = await tenant(request);
      return auth.browserAccessToken(t, await currentSession(request, t));
    },
  );

  app.delete(
    '/v2/session',
    { schema: { params: TenantParams, querystring: TenantQuery } },
    async (request, reply) => {
      const t = await tenant(request);
      const session = await auth.browserSession(t, request.cookies[cookieName(t)]);
      if (session) await auth.endBrowserSession(t, session, metaOf(request));
      clearCookie(reply, t);
      return reply.code(204).send();
    },
  );
};
