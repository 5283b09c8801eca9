// Admin API: a tenant's invitations (create, list, get, revoke, resend). Parse, call the service, answer.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import {
  Invitation,
  InvitationCreate,
  InvitationListQuery,
  InvitationPage,
  InvitationParams,
  InvitationResend,
  InvitationWithUrl,
} from './schemas.js';
import { invitationJson, type Actor, type Invitations } from './service.js';

const LIST = '/v2/admin/tenants/:tenant/invitations';
const ONE = '/v2/admin/tenants/:tenant/invitations/:id';

export function invitationAdminRoutes(
  invitations: Invitations,
  tenants: Tenants,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const actor = (request: FastifyRequest): Actor => ({
      via: 'admin_api',
      adminId: kit.admin(request).id,
      meta: metaOf(request),
    });
    const tenantOf = (request: { params: { tenant: string } }) => tenants.resolve(request.params.tenant);

    app.post(
      LIST,
      {
        schema: {
          ...common,
          summary: 'Invite an address to create an account',
          description:
            'Mails a link to the hosted page `/invite` (unless `send_email` is false) where the person ' +
            'chooses a password and gets the account, its address verified, with `roles`; the tenant\u2019s ' +
            'sign-up setting does not apply. The link works once and expires (`expires_in`); `url` is in this ' +
            'answer only. A pending invitation to the same address is revoked (replaced). 400 naming unknown ' +
            'roles; 409 `email_taken` when the address has an account. Audited (`invitation.created`).',
          params: TenantParams,
          body: InvitationCreate,
          response: { 201: InvitationWithUrl, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const b = request.body;
        const { invitation, url } = await invitations.create(
          await tenantOf(request),
          { email: b.email, roles: b.roles, name: b.name, expiresIn: b.expires_in, sendEmail: b.send_email },
          who,
        );
        return reply.code(201).send({ ...invitationJson(invitation), url });
      },
    );

    app.get(
      LIST,
      {
        schema: {
          ...common,
          summary: "List the tenant's invitations",
          description:
            'Newest first, a page at a time: pass `next_cursor` as `cursor` for the next page. `status` ' +
            'filters (`expired`: pending past its expiry). Old ones are deleted 30 days after they ended.',
          params: TenantParams,
          querystring: InvitationListQuery,
          response: { 200: InvitationPage, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const q = request.query;
        const page = await invitations.list(await tenantOf(request), {
          status: q.status,
          cursor: q.cursor,
          limit: q.limit === undefined ? undefined : Number(q.limit),
        });
        return { invitations: page.invitations.map(invitationJson), next_cursor: page.nextCursor };
      },
    );

    app.get(
      ONE,
      {
        schema: {
          ...common,
          summary: 'An invitation',
          params: InvitationParams,
          response: { 200: Invitation, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return invitationJson(await invitations.get(await tenantOf(request), request.params.id));
      },
    );

    app.delete(
      ONE,
      {
        schema: {
          ...common,
          summary: 'Revoke an invitation',
          description:
            'Its link stops working. Only a pending invitation: 409 `conflict` when it is accepted, revoked ' +
            'or expired. Audited (`invitation.revoked`).',
          params: InvitationParams,
          response: { 200: Invitation, ...errors(400, 401, 404, 409) },
        },
      },
      async (request) => {
        const who = actor(request);
        return invitationJson(await invitations.revoke(await tenantOf(request), request.params.id, who));
      },
    );

    app.post(
      `${ONE}/resend`,
      {
        schema: {
          ...common,
          summary: 'Send an invitation again, with a new link',
          description:
            'A new link with a new lifetime (`expires_in`, default 7 days), mailed unless `send_email` is ' +
            'false; the old link stops working. A pending invitation, expired or not: 409 otherwise. ' +
            'Audited (`invitation.created`, `resent`).',
          params: InvitationParams,
          body: InvitationResend,
          response: { 200: InvitationWithUrl, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request) => {
        const who = actor(request);
        const b = request.body ?? {};
        const { invitation, url } = await invitations.resend(
          await tenantOf(request),
          request.params.id,
          { expiresIn: b.expires_in, sendEmail: b.send_email },
          who,
        );
        return { ...invitationJson(invitation), url };
      },
    );
  };
}
