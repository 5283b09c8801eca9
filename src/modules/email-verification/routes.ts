// POST /v2/auth/verify-email/send and GET /v2/auth/verify-email (the link in the mail).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HelloJohnError } from '../../errors.js';
import { basePath, sendHtml } from '../../http/authorization-flow.js';
import { metaOf } from '../../http/context.js';
import { Accepted, TenantFields } from '../../http/schemas/auth.js';
import {
  BODY_ERRORS,
  Email,
  OpaqueToken,
  SECURITY,
  errors,
  pageOrError,
  tenantPath,
} from '../../http/schemas/common.js';
import type { RouteKit } from '../../kernel/module.js';
import type { EmailVerification } from './service.js';
import { emailVerificationPage } from './views.js';

export function verificationRoutes(verification: EmailVerification): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const tags = ['account'];
    const tenantOnly = { tenant_id: TenantFields.tenant_id };

    app.post(
      '/v2/auth/verify-email/send',
      {
        schema: {
          summary: 'Email a verification link',
          description: 'To `email`, or to the user of the bearer access token when no email is given.',
          tags,
          security: SECURITY.bearerOrNone,
          params,
          body: Type.Optional(
            Type.Object({ email: Type.Optional(Email), ...tenantOnly }, { additionalProperties: false }),
          ),
          response: { 202: Accepted, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        const email = request.body?.email;
        const bearer = email === undefined ? (await kit.account(request, t)).claims : undefined;
        await verification.send(t, { bearer, email }, metaOf(request));
        return reply.code(202).send({ status: 'accepted' });
      },
    );

    app.get(
      '/v2/auth/verify-email',
      {
        schema: {
          summary: 'Follow an email-verification link',
          description: 'A browser (Accept: text/html) gets a page; API clients get JSON.',
          tags,
          params,
          headers: Type.Object({ accept: Type.Optional(Type.String()) }),
          querystring: Type.Object({ token: OpaqueToken, ...tenantOnly }, { additionalProperties: false }),
          response: {
            200: {
              description: 'The address is verified.',
              content: {
                'application/json': { schema: Type.Object({ email_verified: Type.Literal(true) }) },
                'text/html': { schema: Type.String() },
              },
            },
            ...errors(404, 429),
            400: pageOrError(
              400,
              'The link is invalid, expired or used (a page for browsers), or a bad request.',
            ),
          },
        },
      },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        // A person clicking the link in their mail client gets a page; API clients get JSON.
        const accept = request.headers.accept ?? '';
        const wantsHtml = accept.includes('text/html') && !accept.includes('application/json');
        try {
          await verification.verify(t, request.query.token, metaOf(request));
        } catch (error) {
          if (!wantsHtml || !(error instanceof HelloJohnError) || error.code !== 'invalid_grant') throw error;
          return sendHtml(reply, 400, emailVerificationPage(t, basePath(t), { verified: false }));
        }
        if (wantsHtml) return sendHtml(reply, 200, emailVerificationPage(t, basePath(t), { verified: true }));
        return { email_verified: true as const };
      },
    );
  };
}
