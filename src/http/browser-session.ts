// The browser session of the first-party API (/v2/session*): sign in to an HttpOnly session cookie, read
// it, trade it for a short access token, end it. Registered by authRoutes, inside its scope (no-store).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import { metaOf, tenantOf, type AuthApiOptions } from './context.js';
import { Cookies } from './cookies.js';
import { AccessTokenResponse, Credentials, PublicUser } from './schemas/auth.js';
import {
  BODY_ERRORS,
  Nullable,
  SECURITY,
  TenantQuery,
  errors,
  noContent,
  tenantPath,
} from './schemas/common.js';

const SessionUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean(),
  name: Nullable(Type.String()),
});

export const browserSessionRoutes: FastifyPluginAsync<AuthApiOptions> = async (plugin, options) => {
  const { auth, tenants, clients, config } = options;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const tenant = (request: FastifyRequest) => tenantOf(request, tenants, clients);
  const params = tenantPath(app.prefix, {});
  const tags = ['session'];

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
    {
      schema: {
        summary: 'Sign in to a browser session',
        description: 'Sets the HttpOnly session cookie.',
        tags,
        params,
        body: Credentials,
        response: {
          200: Type.Object({
            user: PublicUser,
            session: Type.Object({ id: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
          }),
          ...errors(...BODY_ERRORS, 401, 403, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const { cookie, session, user } = await auth.browserLogin(t, request.body, metaOf(request));
      cookies.set(reply, 'session', t, cookie, Math.floor(config.sessions.ttlMs / 1000));
      return { user, session: { id: session.id, expires_at: session.expires_at.toISOString() } };
    },
  );

  app.get(
    '/v2/session',
    {
      schema: {
        summary: 'The browser session and its user',
        tags,
        security: SECURITY.sessionCookie,
        params,
        querystring: TenantQuery,
        response: {
          200: Type.Object({
            session: Type.Object({
              id: Type.String(),
              created_at: Type.String({ format: 'date-time' }),
              expires_at: Type.String({ format: 'date-time' }),
              amr: Type.Array(Type.String(), { description: 'How the user authenticated (RFC 8176).' }),
            }),
            user: SessionUser,
          }),
          ...errors(400, 401, 404),
        },
      },
    },
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
    {
      schema: {
        summary: 'A short-lived access token for the browser session',
        tags,
        security: SECURITY.sessionCookie,
        params,
        querystring: TenantQuery,
        response: { 200: AccessTokenResponse, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const t = await tenant(request);
      return auth.browserAccessToken(t, await currentSession(request, t));
    },
  );

  app.delete(
    '/v2/session',
    {
      schema: {
        summary: 'End the browser session',
        tags,
        security: SECURITY.sessionCookieOrNone,
        params,
        querystring: TenantQuery,
        response: { 204: noContent('Signed out (also when there was no session).'), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const session = await auth.browserSession(t, request.cookies[cookieName(t)]);
      if (session) await auth.endBrowserSession(t, session, metaOf(request));
      clearCookie(reply, t);
      return reply.code(204).send();
    },
  );
};
