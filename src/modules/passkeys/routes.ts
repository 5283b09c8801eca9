// The passkeys API. Registration and the user's passkeys need the bearer access token of a signed-in user
// (adding or deleting one also a recent sign-in); signing in needs nothing but the passkey.
//   POST /v2/auth/webauthn/register/begin   → creation options  (startRegistration)
//   POST /v2/auth/webauthn/register/finish  ← its answer        → the passkey
//   POST /v2/auth/webauthn/login/begin      → request options   (startAuthentication)
//   POST /v2/auth/webauthn/login/finish     ← its answer        → tokens, or the second step
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Login } from '../../auth/login.js';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { metaOf } from '../../http/context.js';
import { SecondStepRequired, TokenResponse } from '../../http/schemas/auth.js';
import {
  BODY_ERRORS,
  SECURITY,
  TenantQuery,
  Uuid,
  errors,
  noContent,
  tenantPath,
} from '../../http/schemas/common.js';
import type { RouteKit } from '../../kernel/module.js';
import { Type } from '@sinclair/typebox';
import type { PasskeyAuthenticator } from './methods.js';
import {
  CreationOptions,
  LoginBeginBody,
  LoginFinishBody,
  PasskeyJson,
  PasskeyList,
  RegisterFinishBody,
  RenameBody,
  RequestOptions,
} from './schemas.js';
import type { PasskeyView, Passkeys } from './service.js';

export function passkeyRoutes(
  passkeys: Passkeys,
  authenticator: PasskeyAuthenticator,
  login: Login,
  recentSignIn: RecentSignIn,
): FastifyPluginAsync<{ kit: RouteKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const byId = tenantPath(app.prefix, { id: Uuid });
    const tags = ['passkeys'];
    const account = { tags, security: SECURITY.bearer };

    app.post(
      '/v2/auth/webauthn/register/begin',
      {
        schema: {
          ...account,
          summary: 'Start adding a passkey',
          description:
            'Options for `navigator.credentials.create()`: a discoverable credential (resident key required), ' +
            'user verification preferred, attestation `none`, for the RP ID of the tenant\u2019s issuer. The ' +
            'challenge works once, for 5 minutes, for this user. Needs a recent sign-in (SESSION_RECENT_LOGIN; ' +
            'else 401 `login_required`). 403 `access_denied` when the tenant has passkeys off.',
          params,
          querystring: TenantQuery,
          response: { 200: CreationOptions, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        const { session } = await kit.account(request, tenant);
        recentSignIn.require(session, 'add a passkey');
        return passkeys.registrationOptions(tenant, session.user_id);
      },
    );

    app.post(
      '/v2/auth/webauthn/register/finish',
      {
        schema: {
          ...account,
          summary: 'Finish adding a passkey',
          description:
            'The answer of `navigator.credentials.create()` to the options of register/begin, and a name. ' +
            '400 `invalid_grant` when the challenge expired or was used; 409 when the passkey is registered already. ' +
            '403 `access_denied` when the tenant has passkeys off.',
          params,
          body: RegisterFinishBody,
          response: { 201: PasskeyJson, ...errors(...BODY_ERRORS, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const tenant = await kit.tenantOf(request);
        const { session } = await kit.account(request, tenant);
        recentSignIn.require(session, 'add a passkey');
        const { response, name } = request.body;
        const added = await passkeys.register(tenant, session.user_id, response, name, {
          via: 'account',
          meta: metaOf(request),
        });
        return reply.code(201).send(jsonOf(added));
      },
    );

    app.post(
      '/v2/auth/webauthn/login/begin',
      {
        schema: {
          tags,
          summary: 'Start signing in with a passkey',
          description:
            'Options for `navigator.credentials.get()` with an empty allowCredentials: no email needed, the ' +
            'browser offers the passkeys it holds for this site (also as autofill: conditional mediation). ' +
            'The challenge works once, for 5 minutes. Counts against the address\u2019s sign-in limit. ' +
            '403 `access_denied` when the tenant has passkeys off.',
          params,
          body: LoginBeginBody,
          response: { 200: RequestOptions, ...errors(...BODY_ERRORS, 403, 404, 429) },
        },
      },
      async (request) => passkeys.authenticationOptions(await kit.tenantOf(request), metaOf(request)),
    );

    app.post(
      '/v2/auth/webauthn/login/finish',
      {
        schema: {
          tags,
          summary: 'Sign in with a passkey',
          description:
            'The answer of `navigator.credentials.get()` to the options of login/begin. Tokens with amr ' +
            '`["hwk"|"swk", "user", "mfa"]` when the authenticator verified the user (this satisfies MFA), ' +
            'or `["hwk"|"swk", "user"]` without: then the tenant\u2019s MFA policy may answer the second step ' +
            '(`mfa_required`), as after a password. 403 `access_denied` when the tenant has passkeys off.',
          params,
          body: LoginFinishBody,
          response: {
            200: Type.Union([TokenResponse, SecondStepRequired], {
              description: 'Tokens, or (a second factor applies) the challenge of the second step.',
            }),
            ...errors(...BODY_ERRORS, 401, 403, 404, 429),
          },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        passkeys.requireOffered(tenant);
        const input = { response: request.body.response };
        const outcome = await login.api(tenant, authenticator, input, metaOf(request));
        return outcome.kind === 'second_step' ? kit.secondStepResponse(outcome.challenge) : outcome.result;
      },
    );

    app.get(
      '/v2/auth/webauthn/passkeys',
      {
        schema: {
          ...account,
          summary: 'The user\u2019s passkeys',
          params,
          querystring: TenantQuery,
          response: { 200: PasskeyList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        const { session } = await kit.account(request, tenant);
        return { passkeys: (await passkeys.list(tenant, session.user_id)).map(jsonOf) };
      },
    );

    app.patch(
      '/v2/auth/webauthn/passkeys/:id',
      {
        schema: {
          ...account,
          summary: 'Rename a passkey',
          params: byId,
          body: RenameBody,
          response: { 200: PasskeyJson, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const tenant = await kit.tenantOf(request);
        const { session } = await kit.account(request, tenant);
        const renamed = await passkeys.rename(tenant, session.user_id, request.params.id, request.body.name, {
          via: 'account',
          meta: metaOf(request),
        });
        return jsonOf(renamed);
      },
    );

    app.delete(
      '/v2/auth/webauthn/passkeys/:id',
      {
        schema: {
          ...account,
          summary: 'Delete a passkey',
          description:
            'Needs a recent sign-in (else 401 `login_required`). 409 `conflict` when it is the account\u2019s ' +
            'only way to sign in.',
          params: byId,
          querystring: TenantQuery,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const tenant = await kit.tenantOf(request);
        const { session } = await kit.account(request, tenant);
        recentSignIn.require(session, 'delete a passkey');
        await passkeys.remove(tenant, session.user_id, request.params.id, {
          via: 'account',
          meta: metaOf(request),
        });
        return reply.code(204).send();
      },
    );
  };
}

export function jsonOf(p: PasskeyView) {
  return {
    id: p.id,
    name: p.name,
    aaguid: p.aaguid,
    backup_eligible: p.backupEligible,
    backed_up: p.backedUp,
    transports: p.transports,
    created_at: p.createdAt.toISOString(),
    last_used_at: p.lastUsedAt?.toISOString() ?? null,
  };
}
