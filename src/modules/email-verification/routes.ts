// POST /v2/auth/verify-email/send and GET /v2/auth/verify-email (the link in the mail).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { HelloJohnError } from '../../errors.js';
import { basePath, sendHtml } from '../../http/authorization-flow.js';
import { metaOf } from '../../http/context.js';
import { Email, OpaqueToken, TenantId, TenantParams } from '../../http/schemas.js';
import type { RouteKit } from '../../kernel/module.js';
import type { EmailVerification } from './service.js';
import { emailVerificationPage } from './views.js';

export function verificationRoutes(verification: EmailVerification): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (app, { kit }) => {
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
        const t = await kit.tenantOf(request);
        const email = (request.body as { email?: string } | undefined)?.email;
        const bearer = email === undefined ? (await kit.account(request, t)).claims : undefined;
        await verification.send(t, { bearer, email }, metaOf(request));
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
        const t = await kit.tenantOf(request);
        // A person clicking the link in their mail client gets a page; API clients get JSON.
        const accept = request.headers.accept ?? '';
        const wantsHtml = accept.includes('text/html') && !accept.includes('application/json');
        try {
          await verification.verify(t, (request.query as { token: string }).token, metaOf(request));
        } catch (error) {
          if (!wantsHtml || !(error instanceof HelloJohnError) || error.code !== 'invalid_grant') throw error;
          return sendHtml(reply, 400, emailVerificationPage(t, basePath(t), { verified: false }));
        }
        if (wantsHtml) return sendHtml(reply, 200, emailVerificationPage(t, basePath(t), { verified: true }));
        return { email_verified: true };
      },
    );
  };
}
