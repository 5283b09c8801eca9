// The signed-in user's email and SMS factors (bearer access token): `send` mails or texts a code, `verify`
// takes it back and turns the factor on. For SMS, `send` names the number to set up (or change to).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../../http/context.js';
import { CodeSent } from '../../../http/schemas/auth.js';
import { BODY_ERRORS, SECURITY, errors, tenantPath } from '../../../http/schemas/common.js';
import type { RouteKit } from '../../../kernel/module.js';
import {
  EmailFactorEnabled,
  SendEmailCodeBody,
  SendSmsCodeBody,
  SmsFactorEnabled,
  VerifyCodeBody,
} from './schemas.js';
import type { CodeFactorEnrollment } from './service.js';

export function codeFactorRoutes(enrollment: CodeFactorEnrollment): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const common = { tags: ['mfa'], security: SECURITY.bearer, params };
    const account = async (request: Parameters<RouteKit['account']>[0]) => {
      const tenant = await kit.tenantOf(request);
      const { claims } = await kit.account(request, tenant);
      return { tenant, userId: claims.sub, meta: metaOf(request) };
    };

    app.post(
      '/v2/auth/mfa/email/send',
      {
        schema: {
          ...common,
          summary: 'Email a code to turn on email sign-in codes',
          description:
            "Mails a code to the signed-in user's address; `/v2/auth/mfa/email/verify` with it turns the " +
            'email factor on. At most 5 codes an hour per user (sign-in codes included).',
          body: SendEmailCodeBody,
          response: { 202: CodeSent, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request, reply) => {
        const { tenant, userId, meta } = await account(request);
        const { sentTo } = await enrollment.sendEmailCode(tenant, userId, meta);
        return reply.code(202).send({ status: 'sent' as const, sent_to: sentTo });
      },
    );

    app.post(
      '/v2/auth/mfa/email/verify',
      {
        schema: {
          ...common,
          summary: 'Turn on email sign-in codes with the code mailed',
          body: VerifyCodeBody,
          response: { 200: EmailFactorEnabled, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request) => {
        const { tenant, userId, meta } = await account(request);
        await enrollment.confirmEmail(tenant, userId, request.body.code, meta);
        return { factor: 'email' as const, status: 'enabled' as const };
      },
    );

    app.post(
      '/v2/auth/mfa/sms/send',
      {
        schema: {
          ...common,
          summary: 'Text a code to a phone number to set it up for sign-in codes',
          description:
            'Checks `phone_number` (a mobile number in E.164) before anything is sent, then texts it a ' +
            'code; `/v2/auth/mfa/sms/verify` with it makes it the number of the SMS factor (replacing ' +
            'any earlier one). At most 5 texts an hour per user and per number. 503 when the SMS ' +
            'provider cannot be reached; nothing is kept then.',
          body: SendSmsCodeBody,
          response: { 202: CodeSent, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request, reply) => {
        const { tenant, userId, meta } = await account(request);
        const { sentTo } = await enrollment.sendSmsCode(tenant, userId, request.body.phone_number, meta);
        return reply.code(202).send({ status: 'sent' as const, sent_to: sentTo });
      },
    );

    app.post(
      '/v2/auth/mfa/sms/verify',
      {
        schema: {
          ...common,
          summary: 'Confirm a phone number with the code texted to it',
          body: VerifyCodeBody,
          response: { 200: SmsFactorEnabled, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request) => {
        const { tenant, userId, meta } = await account(request);
        const { phoneNumber } = await enrollment.confirmSms(tenant, userId, request.body.code, meta);
        return { factor: 'sms' as const, status: 'enabled' as const, phone_number: phoneNumber };
      },
    );
  };
}
