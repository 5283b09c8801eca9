// POST /v2/auth/social/exchange: an application's social sign-in ends here. The callback redirected the
// browser to the application's registered redirect URI with a one-time code; the application sends it
// with its PKCE verifier and gets tokens (or the second step), as from /v2/auth/login.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Login } from '../../auth/login.js';
import { metaOf } from '../../http/context.js';
import { SecondStepRequired, TenantFields, TokenResponse } from '../../http/schemas/auth.js';
import { BODY_ERRORS, errors, tenantPath } from '../../http/schemas/common.js';
import type { RouteKit } from '../../kernel/module.js';
import { ExchangeBody } from './schemas.js';
import type { Social } from './service.js';

export function socialRoutes(social: Social, login: Login): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/v2/auth/social/exchange',
      {
        schema: {
          summary: 'Exchange a social sign-in\u2019s one-time code for tokens',
          description:
            'The code the callback sent to the application\u2019s redirect URI, with the PKCE verifier of ' +
            'the `code_challenge` the sign-in started with and the same `client_id`. A code works once (a ' +
            'wrong verifier spends it too) and for SOCIAL_EXCHANGE_CODE_TTL (2 minutes by default).',
          tags: ['social'],
          params: tenantPath(app.prefix, {}),
          body: Type.Object(
            { ...ExchangeBody.properties, tenant_id: TenantFields.tenant_id },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Union([TokenResponse, SecondStepRequired], {
              description: 'Tokens, or (a second factor applies) the challenge of the second step.',
            }),
            ...errors(...BODY_ERRORS, 403, 404, 429),
          },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        const meta = metaOf(request);
        const { userId, provider } = await social.takeExchangeCode(
          tenant,
          { code: request.body.code, verifier: request.body.code_verifier, clientId: request.body.client_id },
          meta,
        );
        const outcome = await login.api(tenant, social.authenticator(provider), userId, meta);
        return outcome.kind === 'second_step' ? kit.secondStepResponse(outcome.challenge) : outcome.result;
      },
    );
  };
}
