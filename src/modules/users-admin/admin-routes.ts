// Admin API: a tenant's users. Routes parse, call the UsersDirectory, and shape the answer. Resetting a
// user's MFA is the MFA module's `DELETE …/users/{id}/mfa`; a user's passkeys are the passkeys module's.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AdminActor } from '../../auth/registration.js';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors, noContent } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import {
  AdminUser,
  ConsentList,
  ConsentParams,
  NewUserBody,
  RevokedCount,
  SessionList,
  SessionParams,
  SetPasswordBody,
  UserExport,
  UserListQuery,
  UserPage,
  UserParams,
  UserUpdateBody,
} from './schemas.js';
import { PROFILE_CLAIMS, consentJson, userJson, type UserFields, type UsersDirectory } from './service.js';

const USERS = '/v2/admin/tenants/:tenant/users';
const USER = `${USERS}/:id`;

/** The body's members split into the account's fields and its standard claims. */
function fieldsOf(body: Record<string, unknown>): UserFields & Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const claims: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if ((PROFILE_CLAIMS as readonly string[]).includes(key)) claims[key] = value;
    else fields[key] = value;
  }
  return Object.keys(claims).length > 0 ? { ...fields, claims } : fields;
}

export function usersAdminRoutes(
  users: UsersDirectory,
  tenants: Tenants,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const actor = (request: FastifyRequest): AdminActor => ({
      via: 'admin_api',
      adminId: kit.admin(request).id,
      meta: metaOf(request),
    });

    app.post(
      USERS,
      {
        schema: {
          ...common,
          summary: 'Create a user',
          description:
            "Same checks as a sign-up (address, name, the tenant's password policy when a password is given) " +
            'and the same registration hooks in the same transaction: an address not marked `email_verified` ' +
            'is sent a verification link. Audited (`user.created`). 409 `email_taken`, 400 `weak_password`.',
          params: TenantParams,
          body: NewUserBody,
          response: { 201: AdminUser, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const { email, password, ...rest } = request.body;
        const user = await users.create(tenant, { ...fieldsOf(rest), email, password }, who);
        return reply.code(201).send(userJson(user));
      },
    );

    app.get(
      USERS,
      {
        schema: {
          ...common,
          summary: "List the tenant's users",
          description:
            'Newest first, a page at a time: pass `next_cursor` as `cursor` for the next page (keyset ' +
            'pagination on (created_at, id): no user is skipped or repeated while others are added). ' +
            'Filters combine (AND). A cursor this list did not give is a 400.',
          params: TenantParams,
          querystring: UserListQuery,
          response: { 200: UserPage, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const q = request.query;
        const { users: page, nextCursor } = await users.list(tenant, {
          limit: q.limit === undefined ? undefined : Number(q.limit),
          cursor: q.cursor,
          emailPrefix: q.email,
          createdAfter: q.created_after === undefined ? undefined : new Date(q.created_after),
          createdBefore: q.created_before === undefined ? undefined : new Date(q.created_before),
          blocked: q.blocked === undefined ? undefined : q.blocked === 'true',
          verified: q.verified === undefined ? undefined : q.verified === 'true',
          role: q.role,
        });
        return { users: page.map(userJson), next_cursor: nextCursor };
      },
    );

    app.get(
      USER,
      {
        schema: {
          ...common,
          summary: 'A user',
          params: UserParams,
          response: { 200: AdminUser, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return userJson(await users.get(tenant, request.params.id));
      },
    );

    // PUT is the documented method, PATCH its synonym: one partial update (as Keycloak's PUT on users).
    app.route({
      method: ['PUT', 'PATCH'],
      url: USER,
      schema: {
        ...common,
        summary: 'Change a user',
        description:
          'A partial update: only the members sent change (null removes a claim or the name). A new ' +
          '`email` is unverified and sent a verification link, unless `email_verified: true` comes with ' +
          'it. A new `phone_number` is unverified unless `phone_number_verified` comes with it. ' +
          'Audited (`user.updated`, with the names of the fields changed). PATCH is a synonym.',
        params: UserParams,
        body: UserUpdateBody,
        response: { 200: AdminUser, ...errors(...BODY_ERRORS, 401, 404, 409) },
      },
      handler: async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return userJson(await users.update(tenant, request.params.id, fieldsOf(request.body), who));
      },
    });

    app.delete(
      USER,
      {
        schema: {
          ...common,
          summary: 'Delete a user',
          description:
            'Every row of the user goes (sessions, refresh tokens, consents, factors, passkeys, linked ' +
            'accounts…); their access and refresh tokens stop working at once. The audit trail stays, with ' +
            '`user.deleted`.',
          params: UserParams,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await users.remove(tenant, request.params.id, who);
        return reply.code(204).send();
      },
    );

    for (const [path, summary, block] of [
      ['block', 'Block a user: no sign-in, every session ended', true],
      ['unblock', 'Unblock a user', false],
    ] as const) {
      app.post(
        `${USER}/${path}`,
        {
          schema: {
            ...common,
            summary,
            description: `Audited (\`user.${path}ed\`).`,
            params: UserParams,
            response: { 200: AdminUser, ...errors(400, 401, 404) },
          },
        },
        async (request) => {
          const who = actor(request);
          const tenant = await tenants.resolve(request.params.tenant);
          const id = request.params.id;
          return userJson(block ? await users.block(tenant, id, who) : await users.unblock(tenant, id, who));
        },
      );
    }

    app.post(
      `${USER}/password`,
      {
        schema: {
          ...common,
          summary: "Set a user's password",
          description:
            "Checked against the tenant's password policy (400 `weak_password`), stored as Argon2id. " +
            '`sign_out: true` also ends every session. Audited (`user.password_set`, never the password).',
          params: UserParams,
          body: SetPasswordBody,
          response: { 200: RevokedCount, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const { password, sign_out } = request.body;
        const { sessionsRevoked } = await users.setPassword(
          tenant,
          request.params.id,
          password,
          sign_out === true,
          who,
        );
        return { sessions_revoked: sessionsRevoked };
      },
    );

    app.post(
      `${USER}/logout`,
      {
        schema: {
          ...common,
          summary: 'Sign a user out everywhere',
          description: 'Every session and its refresh tokens. Audited (`user.logout_all`).',
          params: UserParams,
          response: { 200: RevokedCount, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const { sessionsRevoked } = await users.logout(tenant, request.params.id, who);
        return { sessions_revoked: sessionsRevoked };
      },
    );

    app.get(
      `${USER}/sessions`,
      {
        schema: {
          ...common,
          summary: "A user's live sessions",
          params: UserParams,
          response: { 200: SessionList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return { sessions: await users.sessions(tenant, request.params.id) };
      },
    );

    app.delete(
      `${USER}/sessions/:sid`,
      {
        schema: {
          ...common,
          summary: "End one of a user's sessions",
          description:
            'With its refresh tokens (and, for a browser session, the OAuth sessions started from it).',
          params: SessionParams,
          response: { 204: noContent('Ended.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await users.revokeSession(tenant, request.params.id, request.params.sid, who);
        return reply.code(204).send();
      },
    );

    app.get(
      `${USER}/consents`,
      {
        schema: {
          ...common,
          summary: 'The clients a user has consented to, with the scopes',
          params: UserParams,
          response: { 200: ConsentList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return { consents: (await users.consents(tenant, request.params.id)).map(consentJson) };
      },
    );

    app.delete(
      `${USER}/consents/:client_id`,
      {
        schema: {
          ...common,
          summary: "Withdraw a user's consent to a client",
          description:
            "The client's sessions of the user (and their refresh tokens) end too; the next authorization " +
            'asks for consent again. Audited (`user.consent_revoked`).',
          params: ConsentParams,
          response: { 204: noContent('Withdrawn.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await users.revokeConsent(tenant, request.params.id, request.params.client_id, who);
        return reply.code(204).send();
      },
    );

    app.get(
      `${USER}/export`,
      {
        schema: {
          ...common,
          summary: "Export a user's data (GDPR Art. 15 and 20)",
          description:
            'The account, its sessions, consents and recent audit events, and what each feature module ' +
            'holds (factors, passkeys, linked accounts…) — never a secret (no hashes, sealed secrets or ' +
            'seeds). Audited (`user.exported`).',
          params: UserParams,
          response: { 200: UserExport, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return users.export(tenant, request.params.id, who);
      },
    );
  };
}
