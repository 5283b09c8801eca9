// The MFA account API (bearer access token): set up, confirm and remove an authenticator app, recovery
// codes, the list of factors and the preferred one. Setting up an authenticator app also works with the
// mfa_token of a sign-in that requires one (enrollment_required). HelloJohn-compatible aliases under
// /v2/mfa/* answer the same.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Login } from '../../auth/login.js';
import { metaOf } from '../../http/context.js';
import { TokenResponse } from '../../http/schemas/auth.js';
import {
  BODY_ERRORS,
  SECURITY,
  TenantQuery,
  errors,
  noContent,
  tenantPath,
} from '../../http/schemas/common.js';
import { HelloJohnError } from '../../errors.js';
import type { RouteKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import {
  CodeBody,
  EnrollBody,
  FactorId,
  FactorList,
  PreferredBody,
  RecoveryCodesAnswer,
  Status,
  TotpChallengeBody,
  TotpEnrollment,
} from './schemas.js';
import type { AccountActor, Mfa } from './service.js';

export function mfaRoutes(mfa: Mfa, login: Login): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const common = { tags: ['mfa'], security: SECURITY.bearer };
    const account = async (request: FastifyRequest, tenant: Tenant): Promise<AccountActor> => {
      const { session } = await kit.account(request, tenant);
      return mfa.accountActor(tenant, session, metaOf(request));
    };
    /** Each route at its spec path and at its HelloJohn-compatible alias (summaries tell them apart). */
    const twice = (path: string, alias: string) => [
      { url: path, note: '' },
      { url: alias, note: ` (HelloJohn-compatible alias of ${path})` },
    ];

    for (const { url, note } of twice('/v2/auth/mfa/totp/enroll', '/v2/mfa/totp/enroll'))
      app.post(
        url,
        {
          schema: {
            ...common,
            security: SECURITY.bearerOrNone,
            summary: `Start setting up an authenticator app${note}`,
            description:
              'With the bearer token of a signed-in user, or with the `mfa_token` of a sign-in that answered ' +
              '`enrollment_required` (then `POST /v2/mfa/challenge {mfa_token, factor: "totp", code}` confirms ' +
              'it and completes the sign-in). Replaces an earlier enrolment that was never confirmed.',
            params,
            body: EnrollBody,
            response: { 200: TotpEnrollment, ...errors(...BODY_ERRORS, 401, 403, 404, 409) },
          },
        },
        async (request) => {
          const tenant = await kit.tenantOf(request);
          const meta = metaOf(request);
          const mfaToken = request.body?.mfa_token;
          const user =
            mfaToken !== undefined
              ? await login.enrollingUser(tenant, mfaToken)
              : (await account(request, tenant)).user;
          if (!user)
            throw new HelloJohnError(
              'invalid_grant',
              'The sign-in challenge is invalid or expired, or does not set up a factor; sign in again.',
            );
          const enrollment = await mfa.enrollTotp(tenant, user, meta);
          return {
            secret: enrollment.secret!,
            otpauth_uri: enrollment.uri!,
            qr_svg: enrollment.qrSvg!,
            ...(enrollment.recoveryCodes ? { recovery_codes: enrollment.recoveryCodes } : {}),
          };
        },
      );

    for (const { url, note } of twice('/v2/auth/mfa/totp/verify', '/v2/mfa/totp/verify'))
      app.post(
        url,
        {
          schema: {
            ...common,
            summary: `Confirm the authenticator app with its first code${note}`,
            params,
            body: CodeBody,
            response: { 200: Status('enabled'), ...errors(...BODY_ERRORS, 401, 403, 404, 409) },
          },
        },
        async (request) => {
          const tenant = await kit.tenantOf(request);
          await mfa.confirmTotp(tenant, await account(request, tenant), request.body.code);
          return { status: 'enabled' as const };
        },
      );

    for (const { url, note } of twice('/v2/auth/mfa/totp/disable', '/v2/mfa/totp/disable'))
      app.post(
        url,
        {
          schema: {
            ...common,
            summary: `Remove the authenticator app${note}`,
            description:
              'When it is the last factor, needs a recent sign-in (SESSION_RECENT_LOGIN; else 401 ' +
              '`login_required`) and removes the recovery codes too.',
            params,
            querystring: TenantQuery,
            response: { 200: Status('disabled'), ...errors(400, 401, 403, 404) },
          },
        },
        async (request) => {
          const tenant = await kit.tenantOf(request);
          await mfa.disableTotp(tenant, await account(request, tenant));
          return { status: 'disabled' as const };
        },
      );

    for (const { url, note } of twice('/v2/auth/mfa/recovery-codes', '/v2/mfa/recovery/rotate'))
      app.post(
        url,
        {
          schema: {
            ...common,
            summary: `New recovery codes${note}`,
            description: 'Ten new codes, shown once; every earlier code stops working.',
            params,
            querystring: TenantQuery,
            response: { 200: RecoveryCodesAnswer, ...errors(400, 401, 404, 409) },
          },
        },
        async (request) => {
          const tenant = await kit.tenantOf(request);
          return {
            recovery_codes: await mfa.regenerateRecoveryCodes(tenant, await account(request, tenant)),
          };
        },
      );

    for (const { url, note } of twice('/v2/auth/mfa/factors', '/v2/mfa/factors'))
      app.get(
        url,
        {
          schema: {
            ...common,
            summary: `The user's second factors${note}`,
            params,
            querystring: TenantQuery,
            response: { 200: FactorList, ...errors(400, 401, 404) },
          },
        },
        async (request) => {
          const tenant = await kit.tenantOf(request);
          const { user } = await account(request, tenant);
          const { factors, preferred } = await mfa.factors(tenant, user.id);
          return {
            factors: factors.map((f) => ({
              id: f.id,
              type: f.type,
              label: f.label,
              created_at: f.createdAt.toISOString(),
              last_used_at: f.lastUsedAt?.toISOString() ?? null,
              preferred: f.type === preferred,
              ...(f.remaining !== undefined ? { remaining: f.remaining } : {}),
            })),
            preferred_factor: preferred,
          };
        },
      );

    app.put(
      '/v2/auth/mfa/preferred',
      {
        schema: {
          ...common,
          summary: 'Choose the factor a sign-in asks for first',
          params,
          body: PreferredBody,
          response: { 204: noContent('Saved.'), ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request, reply) => {
        const tenant = await kit.tenantOf(request);
        await mfa.setPreferred(tenant, await account(request, tenant), request.body.factor);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/v2/auth/mfa/factors/:id',
      {
        schema: {
          ...common,
          summary: 'Remove a second factor',
          description:
            'The last factor (recovery codes aside) needs a recent sign-in (SESSION_RECENT_LOGIN; else 401 ' +
            '`login_required`) and takes the recovery codes with it.',
          params: tenantPath(app.prefix, { id: FactorId }),
          querystring: TenantQuery,
          response: { 204: noContent('Removed.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const tenant = await kit.tenantOf(request);
        await mfa.removeFactor(tenant, await account(request, tenant), request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/v2/mfa/totp/challenge',
      {
        schema: {
          tags: ['mfa'],
          summary: 'Complete a sign-in with an authenticator app code (HelloJohn-compatible)',
          description: 'The same as `POST /v2/mfa/challenge` with `factor: "totp"`, for API sign-ins.',
          params,
          body: TotpChallengeBody,
          response: { 200: TokenResponse, ...errors(...BODY_ERRORS, 401, 404, 429) },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        const { mfa_token: challenge, code } = request.body;
        const done = await login.completeSecondStep(
          tenant,
          { challenge, factor: 'totp', code },
          ['api'],
          metaOf(request),
        );
        if (done.kind !== 'api') throw new HelloJohnError('invalid_grant', 'Not a sign-in of this API.');
        return done.tokens;
      },
    );
  };
}
