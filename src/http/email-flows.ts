// The email flows of the first-party API: asking for a password-reset link and using it, and sending and
// following an email-verification link. Registered by authRoutes, inside its scope (no-store answers).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../errors.js';
import { basePath, sendHtml } from './authorization-flow.js';
import { accountOf, metaOf, tenantOf, type AuthApiOptions } from './context.js';
import { Accepted, TenantFields } from './schemas/auth.js';
import {
  BODY_ERRORS,
  Email,
  OpaqueToken,
  Password,
  SECURITY,
  StringEnum,
  errors,
  pageOrError,
  tenantPath,
} from './schemas/common.js';
import { emailVerificationPage } from './views/next-steps.js';

export const emailFlowRoutes: FastifyPluginAsync<AuthApiOptions> = async (
  plugin,
  { auth, tenants, clients },
) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const tenant = (request: FastifyRequest) => tenantOf(request, tenants, clients);
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
      await auth.forgotPassword(await tenant(request), request.body.email, metaOf(request));
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
      await auth.resetPassword(await tenant(request), token, password, metaOf(request));
      return { status: 'password_reset' as const };
    },
  );

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
      const t = await tenant(request);
      const email = request.body?.email;
      const bearer = email === undefined ? (await accountOf(auth, request, t)).claims : undefined;
      await auth.sendVerification(t, { bearer, email }, metaOf(request));
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
      const t = await tenant(request);
      // A person clicking the link in their mail client gets a page; API clients get JSON.
      const accept = request.headers.accept ?? '';
      const wantsHtml = accept.includes('text/html') && !accept.includes('application/json');
      try {
        await auth.verifyEmail(t, request.query.token, metaOf(request));
      } catch (error) {
        if (!wantsHtml || !(error instanceof HelloJohnError) || error.code !== 'invalid_grant') throw error;
        return sendHtml(reply, 400, emailVerificationPage(t, basePath(t), { verified: false }));
      }
      if (wantsHtml) return sendHtml(reply, 200, emailVerificationPage(t, basePath(t), { verified: true }));
      return { email_verified: true as const };
    },
  );
};
