// /v2/session*: the browser session cookie as an API for single-page apps on the same site (sign in,
// who is signed in, an access token for the session, sign out).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type {} from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { cookieMaxAgeSeconds, type BrowserSessions } from '../../auth/browser-sessions.js';
import type { Login } from '../../auth/login.js';
import type { PasswordAuthenticator } from '../../auth/password-authenticator.js';
import { HelloJohnError } from '../../errors.js';
import { metaOf } from '../../http/context.js';
import {
  AccessTokenResponse,
  BrowserLoginResponse,
  Credentials,
  SecondStepRequired,
} from '../../http/schemas/auth.js';
import {
  BODY_ERRORS,
  Nullable,
  SECURITY,
  TenantQuery,
  errors,
  noContent,
  tenantPath,
} from '../../http/schemas/common.js';
import type { RouteKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';

export interface SessionRoutesDeps {
  login: Login;
  password: PasswordAuthenticator;
  browserSessions: BrowserSessions;
}

const SessionUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean(),
  name: Nullable(Type.String()),
});

export const sessionRoutes =
  (deps: SessionRoutesDeps): FastifyPluginAsync<{ kit: RouteKit }> =>
  async (plugin, { kit }) => {
    const { login, password, browserSessions } = deps;
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const tenant = kit.tenantOf;
    const params = tenantPath(app.prefix, {});
    const tags = ['session'];

    const { cookies } = kit;
    const cookieName = (t: Tenant) => cookies.name('session', t);
    const currentSession = async (request: FastifyRequest, t: Tenant) => {
      const session = await browserSessions.current(t, request.cookies[cookieName(t)]);
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
            200: Type.Union([BrowserLoginResponse, SecondStepRequired], {
              description: 'Signed in (the cookie is set), or a second step is required (no cookie yet).',
            }),
            ...errors(...BODY_ERRORS, 401, 403, 404, 429),
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const outcome = await login.browser(t, password, request.body, metaOf(request), 'session');
        if (outcome.kind === 'second_step') return kit.secondStepResponse(outcome.challenge);
        const { cookie, session, user } = outcome.result;
        cookies.set(reply, 'session', t, cookie, cookieMaxAgeSeconds(session));
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
        return browserSessions.accessToken(t, await currentSession(request, t));
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
        const session = await browserSessions.current(t, request.cookies[cookieName(t)]);
        if (session) await browserSessions.end(t, session, metaOf(request));
        clearCookie(reply, t);
        return reply.code(204).send();
      },
    );
  };
