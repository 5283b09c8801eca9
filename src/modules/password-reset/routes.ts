// POST /v2/auth/forgot and POST /v2/auth/reset-password: the JSON twins of the password pages.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../http/context.js';
import { Email, OpaqueToken, Password, TenantId, TenantParams } from '../../http/schemas.js';
import type { RouteKit } from '../../kernel/module.js';
import type { PasswordReset } from './service.js';

export function passwordResetRoutes(reset: PasswordReset): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (app, { kit }) => {
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
        await reset.forgot(
          await kit.tenantOf(request),
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
        await reset.reset(await kit.tenantOf(request), body.token, body.password, metaOf(request));
        return { status: 'password_reset' };
      },
    );
  };
}
