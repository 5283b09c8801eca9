// First-party auth API: /v2/auth/* (register, login, refresh, logout, configuration), /v2/mfa/challenge,
// with the account routes (account.ts) in this plugin's scope. Routes parse and validate, call the
// services, and shape the response. Feature modules add their own routes (email verification, password
// reset, /v2/session…).
import { cookieMaxAgeSeconds } from '../auth/browser-sessions.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import { publicPolicy } from '../auth/password-policy.js';
import type { RefreshTokens } from '../auth/refresh.js';
import type { Registration } from '../auth/registration.js';
import type { SessionAccess } from '../auth/session-access.js';
import type { Config } from '../config.js';
import { HelloJohnError } from '../errors.js';
import type { Authenticator } from '../kernel/authentication.js';
import type { ModuleParts, RouteKit } from '../kernel/module.js';
import { accountRoutes } from './account.js';
import { metaOf } from './context.js';
import { noStoreAnswers } from './security-headers.js';
import {
  AuthConfig,
  CodeSent,
  Credentials,
  PasswordPolicy,
  PublicUser,
  SecondStepCompleted,
  SecondStepRequired,
  TenantFields,
  TokenResponse,
} from './schemas/auth.js';
import {
  BODY_ERRORS,
  Email,
  Name,
  OpaqueToken,
  Password,
  SECURITY,
  TenantQuery,
  errors,
  noContent,
  tenantPath,
} from './schemas/common.js';

export interface AuthRoutesOptions {
  services: {
    config: Config;
    registration: Registration;
    login: Login;
    passwordAuthenticator: PasswordAuthenticator;
    refreshTokens: RefreshTokens;
    sessionAccess: SessionAccess;
    /** Every sign-in method (for /v2/auth/config). */
    authenticators: readonly Authenticator<never>[];
    modules: readonly { parts: ModuleParts }[];
  };
  kit: RouteKit;
}

export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (plugin, { services, kit }) => {
  const { registration, login, passwordAuthenticator: password, refreshTokens } = services;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  // Token and session responses must never be cached by browsers or proxies.
  app.addHook('onSend', noStoreAnswers);

  const tenant = kit.tenantOf;
  const params = tenantPath(app.prefix, {});
  const tags = ['auth'];

  app.post(
    '/v2/auth/register',
    {
      schema: {
        summary: 'Create an account',
        description:
          'Answers with tokens too when auto-login is on, or with the second step (`mfa_required`) when the ' +
          'tenant requires a second factor. 403 `signup_disabled` when the tenant turned sign-up off ' +
          '(`access_denied` when it turned passwords off).',
        tags,
        params,
        body: Type.Object(
          { email: Email, password: Password, name: Type.Optional(Name), ...TenantFields },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            user: PublicUser,
            ...Type.Partial(TokenResponse).properties,
            ...Type.Partial(SecondStepRequired).properties,
          }),
          ...errors(...BODY_ERRORS, 403, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const result = await registration.register(await tenant(request), request.body, metaOf(request));
      const secondStep = result.secondStep ? kit.secondStepResponse(result.secondStep) : {};
      return reply.code(201).send({ user: result.user, ...(result.tokens ?? {}), ...secondStep });
    },
  );

  app.post(
    '/v2/auth/login',
    {
      schema: {
        summary: 'Sign in with email and password',
        tags,
        params,
        body: Credentials,
        response: {
          200: Type.Union([TokenResponse, SecondStepRequired], {
            description: 'Tokens, or (a second factor applies) the challenge of the second step.',
          }),
          ...errors(...BODY_ERRORS, 401, 403, 404, 429),
        },
      },
    },
    async (request) => {
      const outcome = await login.api(await tenant(request), password, request.body, metaOf(request));
      return outcome.kind === 'second_step' ? kit.secondStepResponse(outcome.challenge) : outcome.result;
    },
  );

  app.post(
    '/v2/mfa/challenge',
    {
      schema: {
        summary: 'Complete a sign-in that needs its second step',
        description:
          'With the `mfa_token` a login answered, one of its `factors` and the code: the tokens of an API ' +
          'login, or the session cookie of a browser-session login. Without `code`, sends the code of a ' +
          'factor that delivers one (email, SMS) and answers 202 with where it went.',
        tags,
        params,
        body: Type.Object(
          {
            mfa_token: Type.String({ minLength: 1, maxLength: 4096 }),
            factor: Type.String({ minLength: 1, maxLength: 64 }),
            code: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 8192,
                description: 'What the user typed; for `webauthn`, the passkey\u2019s assertion as JSON.',
              }),
            ),
            ...TenantFields,
          },
          { additionalProperties: false },
        ),
        response: {
          200: SecondStepCompleted,
          202: CodeSent,
          ...errors(...BODY_ERRORS, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const { mfa_token: challenge, factor, code } = request.body;
      if (code === undefined) {
        const { sentTo } = await login.sendSecondStepCode(
          t,
          { challenge, factor },
          ['api', 'session'],
          metaOf(request),
        );
        return reply.code(202).send({ status: 'sent' as const, sent_to: sentTo });
      }
      // Logins of the JSON API and of /v2/session end here; a hosted page's ends on its page (CSRF, the flow).
      const done = await login.completeSecondStep(
        t,
        { challenge, factor, code },
        ['api', 'session'],
        metaOf(request),
      );
      const usesLeft = done.usesLeft ? { uses_left: done.usesLeft } : {};
      if (done.kind === 'api') return { ...done.tokens, ...usesLeft };
      if (done.kind !== 'browser') throw new HelloJohnError('invalid_grant', 'Not a sign-in of this API.');
      const { cookie, session, user } = done.login;
      kit.cookies.set(reply, 'session', t, cookie, cookieMaxAgeSeconds(session));
      return { user, session: { id: session.id, expires_at: session.expires_at.toISOString() }, ...usesLeft };
    },
  );

  app.post(
    '/v2/auth/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for new tokens',
        tags,
        params,
        body: Type.Object({ refresh_token: OpaqueToken, ...TenantFields }, { additionalProperties: false }),
        response: { 200: TokenResponse, ...errors(...BODY_ERRORS, 401, 404, 429) },
      },
    },
    async (request) =>
      refreshTokens.refresh(await tenant(request), request.body.refresh_token, metaOf(request)),
  );

  app.post(
    '/v2/auth/logout',
    {
      schema: {
        summary: 'Sign out',
        description:
          'Ends the session of `refresh_token`, or of the bearer access token when none is given; ' +
          '`all` ends every session of the user.',
        tags,
        security: SECURITY.bearerOrNone,
        params,
        body: Type.Optional(
          Type.Object(
            {
              refresh_token: Type.Optional(OpaqueToken),
              all: Type.Optional(Type.Boolean()),
              tenant_id: TenantFields.tenant_id,
            },
            { additionalProperties: false },
          ),
        ),
        response: { 204: noContent('Signed out.'), ...errors(...BODY_ERRORS, 401, 404) },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body ?? {};
      const bearer = body.refresh_token === undefined ? (await kit.account(request, t)).claims : undefined;
      await refreshTokens.logout(
        t,
        { refreshToken: body.refresh_token, all: body.all === true, bearer },
        metaOf(request),
      );
      return reply.code(204).send();
    },
  );

  app.get(
    '/v2/auth/config',
    {
      schema: {
        summary: 'What a sign-in screen needs to know about the tenant',
        tags,
        params,
        querystring: TenantQuery,
        response: { 200: AuthConfig, ...errors(400, 404) },
      },
    },
    async (request) => {
      const t = await tenant(request);
      return {
        tenant: { id: t.id, slug: t.slug, name: t.name },
        issuer: t.issuer,
        login_methods: Object.fromEntries(services.authenticators.map((a) => [a.method, a.enabled(t)])),
        registration_enabled: true,
        social_providers: [],
        bot_protection: { enabled: false, site_key: null },
        password_policy: publicPolicy(registration.passwordPolicy(t)),
        ...Object.assign({}, ...services.modules.map(({ parts }) => parts.authConfig?.(t) ?? {})),
      };
    },
  );

  app.get(
    '/v2/auth/password-policy',
    {
      schema: {
        summary: "The tenant's password rules",
        tags,
        params,
        querystring: TenantQuery,
        response: { 200: PasswordPolicy, ...errors(400, 404) },
      },
    },
    async (request) => publicPolicy(registration.passwordPolicy(await tenant(request))),
  );

  // Children get their options spelled out: `options` carries this plugin's prefix, which they would add again.
  await app.register(accountRoutes, { sessionAccess: services.sessionAccess, kit });
};
