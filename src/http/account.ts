// The account API of a signed-in user (bearer access token): who am I, and my sessions. Registered by
// authRoutes, inside its scope (no-store answers).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SessionAccess } from '../auth/session-access.js';
import { HelloJohnError } from '../errors.js';
import type { RouteKit } from '../kernel/module.js';
import { metaOf } from './context.js';
import { PublicSession, PublicUser } from './schemas/auth.js';
import { SECURITY, TenantQuery, Uuid, errors, noContent, tenantPath } from './schemas/common.js';

export const accountRoutes: FastifyPluginAsync<{ sessionAccess: SessionAccess; kit: RouteKit }> = async (
  plugin,
  { sessionAccess, kit },
) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const tenant = kit.tenantOf;
  const common = { tags: ['account'], security: SECURITY.bearer, querystring: TenantQuery };
  const params = tenantPath(app.prefix, {});
  const sessionParams = tenantPath(app.prefix, { id: Uuid });

  app.get(
    '/v2/me',
    {
      schema: {
        ...common,
        summary: 'The signed-in user',
        params,
        response: { 200: PublicUser, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { session } = await kit.account(request, await tenant(request));
      return sessionAccess.me(session);
    },
  );

  app.get(
    '/v2/auth/sessions',
    {
      schema: {
        ...common,
        summary: "The user's live sessions",
        params,
        response: { 200: Type.Object({ sessions: Type.Array(PublicSession) }), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const t = await tenant(request);
      const { claims } = await kit.account(request, t);
      return { sessions: await sessionAccess.list(t, claims.sub, claims.sid) };
    },
  );

  app.get(
    '/v2/auth/sessions/:id',
    {
      schema: {
        ...common,
        summary: 'One of the user\u2019s sessions',
        params: sessionParams,
        response: { 200: PublicSession, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const t = await tenant(request);
      const { claims } = await kit.account(request, t);
      const id = request.params.id.toLowerCase();
      const session = (await sessionAccess.list(t, claims.sub, claims.sid)).find((s) => s.id === id);
      if (!session) throw new HelloJohnError('not_found', 'No such session.');
      return session;
    },
  );

  app.delete(
    '/v2/auth/sessions/:id',
    {
      schema: {
        ...common,
        summary: 'End one of the user\u2019s sessions',
        params: sessionParams,
        response: { 204: noContent('The session is ended.'), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const { claims } = await kit.account(request, t);
      await sessionAccess.revokeOwn(t, claims.sub, request.params.id, metaOf(request));
      return reply.code(204).send();
    },
  );
};
