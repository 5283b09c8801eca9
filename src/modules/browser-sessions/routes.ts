// /v2/session*: the browser session cookie as an API for single-page apps on the same site (sign in,
// who is signed in, an access token for the session, sign out).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserSessions } from '../../auth/browser-sessions.js';
import type { Login } from '../../auth/login.js';
import type { PasswordAuthenticator, PasswordCredentials } from '../../auth/password-authenticator.js';
import { HelloJohnError } from '../../errors.js';
import { metaOf } from '../../http/context.js';
import { Credentials, TenantParams, TenantQuery } from '../../http/schemas.js';
import type { RouteKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';

export interface SessionRoutesDeps {
  login: Login;
  password: PasswordAuthenticator;
  browserSessions: BrowserSessions;
  sessionTtlSeconds: number;
}

export function sessionRoutes(deps: SessionRoutesDeps): FastifyPluginAsync<{ kit: RouteKit }> {
  const { login, password, browserSessions } = deps;
  return async (app, { kit }) => {
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
      { schema: { params: TenantParams, body: Credentials } },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        const body = request.body as PasswordCredentials;
        const outcome = await login.browser(t, password, body, metaOf(request));
        if (outcome.kind === 'second_step') return kit.secondStepResponse(outcome.challenge);
        const { cookie, session, user } = outcome.result;
        cookies.set(reply, 'session', t, cookie, deps.sessionTtlSeconds);
        return { user, session: { id: session.id, expires_at: session.expires_at.toISOString() } };
      },
    );

    app.get(
      '/v2/session',
      { schema: { params: TenantParams, querystring: TenantQuery } },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
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
        const t = await kit.tenantOf(request);
        return browserSessions.accessToken(t, await currentSession(request, t));
      },
    );

    app.delete(
      '/v2/session',
      { schema: { params: TenantParams, querystring: TenantQuery } },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        const session = await browserSessions.current(t, request.cookies[cookieName(t)]);
        if (session) await browserSessions.end(t, session, metaOf(request));
        clearCookie(reply, t);
        return reply.code(204).send();
      },
    );
  };
}
