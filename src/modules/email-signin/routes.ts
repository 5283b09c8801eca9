// The JSON API of sign-in by email: send a link (for an app, with its S256 challenge), exchange what the
// link gave for tokens, and send and verify a code. The link itself opens a page (pages.ts).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Login } from '../../auth/login.js';
import { HelloJohnError } from '../../errors.js';
import { metaOf } from '../../http/context.js';
import { BODY_ERRORS, errors, tenantPath } from '../../http/schemas/common.js';
import type { LoginOutcome } from '../../kernel/authentication.js';
import type { RouteKit } from '../../kernel/module.js';
import type { TokenResponse } from '../../auth/public.js';
import { CodeSendBody, CodeVerifyBody, ExchangeBody, LinkSendBody, Sent, SignedIn } from './schemas.js';
import type { EmailSignIn } from './service.js';

export function emailSignInRoutes(signIn: EmailSignIn, login: Login): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const tags = ['auth'];
    const answer = (outcome: LoginOutcome<TokenResponse>) =>
      outcome.kind === 'second_step' ? kit.secondStepResponse(outcome.challenge) : outcome.result;
    const sent = (s: { expiresInSeconds: number }) => ({
      status: 'accepted' as const,
      expires_in: s.expiresInSeconds,
    });

    app.post(
      '/v2/auth/magic-link/send',
      {
        schema: {
          summary: 'Email a sign-in link (for an app)',
          description:
            'Always 202 with the same body: the link goes out only when the address has an account. The app ' +
            'keeps `code_verifier` and sends its S256 `code_challenge`; the link then ends in ' +
            '`/v2/auth/magic-link/exchange` with that verifier (see docs/passwordless.md). 403 when the ' +
            'tenant does not offer sign-in links.',
          tags,
          params,
          body: LinkSendBody,
          response: { 202: Sent, ...errors(...BODY_ERRORS, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        const { email, code_challenge } = request.body;
        const result = await signIn.sendLink(t, email, { codeChallenge: code_challenge }, metaOf(request));
        return reply.code(202).send(sent(result));
      },
    );

    app.post(
      '/v2/auth/magic-link/exchange',
      {
        schema: {
          summary: 'Exchange a sign-in link for tokens',
          description:
            'With the `code_verifier` of the link’s challenge and either the link’s `token` (the app opened ' +
            'the link itself) or the `code` the link showed when opened on another device. Each works once.',
          tags,
          params,
          body: ExchangeBody,
          response: { 200: SignedIn, ...errors(...BODY_ERRORS, 403, 404, 429) },
        },
      },
      async (request) => {
        const t = await kit.tenantOf(request);
        const { code, token, code_verifier: codeVerifier } = request.body;
        if ((code === undefined) === (token === undefined))
          throw new HelloJohnError('invalid_request', 'Send either `code` or `token`, with `code_verifier`.');
        const input = code !== undefined ? { code, codeVerifier } : { token: token!, codeVerifier };
        return answer(await login.api(t, signIn.magicLink, input, metaOf(request)));
      },
    );

    app.post(
      '/v2/auth/otp/send',
      {
        schema: {
          summary: 'Email a sign-in code',
          description:
            'Always 202 with the same body: the code goes out only when the address has an account. 403 ' +
            'when the tenant does not offer sign-in codes.',
          tags,
          params,
          body: CodeSendBody,
          response: { 202: Sent, ...errors(...BODY_ERRORS, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        const t = await kit.tenantOf(request);
        const result = await signIn.sendCode(t, request.body.email, metaOf(request));
        return reply.code(202).send(sent(result));
      },
    );

    app.post(
      '/v2/auth/otp/verify',
      {
        schema: {
          summary: 'Sign in with an emailed code',
          description:
            'A wrong, expired or used code, and an address without an account, answer alike (401).',
          tags,
          params,
          body: CodeVerifyBody,
          response: { 200: SignedIn, ...errors(...BODY_ERRORS, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        const t = await kit.tenantOf(request);
        const { email, code } = request.body;
        return answer(await login.api(t, signIn.emailCode, { email, code }, metaOf(request)));
      },
    );
  };
}
