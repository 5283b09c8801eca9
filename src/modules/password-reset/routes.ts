// POST /v2/auth/forgot and POST /v2/auth/reset-password: the JSON twins of the password pages.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../http/context.js';
import { Accepted, TenantFields } from '../../http/schemas/auth.js';
import {
  BODY_ERRORS,
  Email,
  OpaqueToken,
  Password,
  StringEnum,
  errors,
  tenantPath,
} from '../../http/schemas/common.js';
import type { RouteKit } from '../../kernel/module.js';
import type { PasswordReset } from './service.js';

export function passwordResetRoutes(reset: PasswordReset): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const tags = ['account'];
    const tenantOnly = { tenant_id: TenantFields.tenant_id };

    app.post(
      '/v2/auth/forgot',
      {
        schema: {
          summary: 'Email a password-reset link',
          description: 'Answers 202 whether or not the address has an account.',
          tags,
          params,
          body: Type.Object({ email: Email, ...tenantOnly }, { additionalProperties: false }),
          response: { 202: Accepted, ...errors(...BODY_ERRORS, 404, 429) },
        },
      },
      async (request, reply) => {
        await reset.forgot(await kit.tenantOf(request), request.body.email, metaOf(request));
        return reply.code(202).send({ status: 'accepted' });
      },
    );

    app.post(
      '/v2/auth/reset-password',
      {
        schema: {
          summary: 'Set a new password with a reset link\u2019s token',
          tags,
          params,
          body: Type.Object(
            { token: OpaqueToken, password: Password, ...tenantOnly },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ status: StringEnum(['password_reset']) }),
            ...errors(...BODY_ERRORS, 404, 429),
          },
        },
      },
      async (request) => {
        const { token, password } = request.body;
        await reset.reset(await kit.tenantOf(request), token, password, metaOf(request));
        return { status: 'password_reset' as const };
      },
    );
  };
}
