// The admin API's tenants (/v2/admin/tenants) and their audit trail (/v2/admin/tenants/{tenant}/audit),
// registered in the admin scope (behind its token check, src/http/admin.ts). Routes parse, call the
// services (src/admin/tenants.ts, src/admin/audit.ts) and shape the answers.
//
// Settings bodies refuse members they do not know (400), unlike the rest of the API, which drops them: a
// misspelled switch (`sign_up.enable`) silently ignored would leave sign-up on while the operator thinks
// it off.
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TProperties } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AUDIT_PAGE_MAX, auditFilter, type AuditLog } from '../admin/audit.js';
import type { TenantActor, TenantAdmin } from '../admin/tenants.js';
import type { AdminKit } from '../kernel/module.js';
import type { Tenants } from '../tenants/tenants.js';
import { SettingsBody } from '../tenants/settings-schema.js';
import { TenantParams } from './schemas/admin.js';
import { BODY_ERRORS, SECURITY, StringEnum, errors, type ErrorStatus } from './schemas/common.js';

const adminErrors = (...more: ErrorStatus[]) => errors(401, 404, ...more);

const Strict = <P extends TProperties>(properties: P) =>
  Type.Object(properties, { additionalProperties: Type.Never() });

const NameField = Type.String({ minLength: 1, maxLength: 200 });
const NewTenantBody = Strict({
  slug: Type.String({ minLength: 1, maxLength: 63, description: 'Lowercase letters, digits and hyphens.' }),
  name: NameField,
  settings: Type.Optional(SettingsBody),
});
const TenantChangeBody = Strict({ name: Type.Optional(NameField), settings: Type.Optional(SettingsBody) });

const OpenMember = Type.Object({}, { additionalProperties: true });
const TenantJson = Type.Object({
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  issuer: Type.String(),
  settings: Type.Object(
    {
      branding: Type.Optional(OpenMember),
      password_policy: Type.Optional(OpenMember),
      sign_up: Type.Optional(OpenMember),
      sign_in: Type.Optional(OpenMember),
      cors: Type.Optional(OpenMember),
      audit: Type.Optional(OpenMember),
      lifetimes: Type.Optional(OpenMember),
      smtp: Type.Optional(
        Type.Object(
          {},
          {
            additionalProperties: true,
            description: 'Never the password: `password_set` says whether one is stored.',
          },
        ),
      ),
    },
    { description: 'The core’s settings as stored.' },
  ),
  effective: Type.Object({ sign_up_enabled: Type.Boolean(), password_sign_in: Type.Boolean() }),
  module_settings: Type.Array(Type.String(), {
    description:
      'Settings members feature modules own (passkeys, mfa, social, email_signin...): see their admin routes.',
  }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

const DeleteQuery = Type.Object(
  {
    force: Type.Optional(
      StringEnum(['true', 'false'], { description: 'true: delete a tenant that has users, with them.' }),
    ),
  },
  { additionalProperties: false },
);

const AuditFilterQuery = {
  type: Type.Optional(
    Type.String({ maxLength: 100, description: 'An event type (user.login) or a prefix (user. or user.*).' }),
  ),
  user_id: Type.Optional(Type.String({ maxLength: 36 })),
  from: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339; inclusive.' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339; exclusive.' })),
};
const AuditQuery = Type.Object(
  {
    ...AuditFilterQuery,
    cursor: Type.Optional(Type.String({ maxLength: 20, description: 'next_cursor of the page before.' })),
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: `Events per page, 1 to ${AUDIT_PAGE_MAX} (default 50).`,
      }),
    ),
  },
  { additionalProperties: Type.Never() },
);
const AuditExportQuery = Type.Object(AuditFilterQuery, { additionalProperties: Type.Never() });
const AuditEventJson = Type.Object({
  id: Type.String(),
  type: Type.String(),
  user_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  data: OpenMember,
  created_at: Type.String({ format: 'date-time' }),
});

export interface AdminTenantRoutesOptions {
  tenants: Tenants;
  tenantAdmin: TenantAdmin;
  auditLog: AuditLog;
}

/** The routes, as an admin-scope plugin (src/app.ts adds it to the admin routes' list). */
export function adminTenantRoutes(services: AdminTenantRoutesOptions): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const { tenants, tenantAdmin, auditLog } = services;
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const actor = (request: FastifyRequest): TenantActor => {
      const agent = request.headers['user-agent'];
      const who = kit.admin(request);
      return {
        via: 'admin_api',
        adminId: who.id,
        operator: who.scope === 'admin',
        ip: request.ip,
        userAgent: typeof agent === 'string' ? agent : null,
      };
    };

    app.get(
      '/v2/admin/tenants',
      {
        schema: {
          ...common,
          summary: 'The tenants',
          response: { 200: Type.Object({ tenants: Type.Array(TenantJson) }), ...errors(401) },
        },
      },
      async (request) => {
        kit.admin(request);
        return { tenants: await tenantAdmin.list() };
      },
    );

    app.post(
      '/v2/admin/tenants',
      {
        schema: {
          ...common,
          summary: 'Create a tenant',
          body: NewTenantBody,
          response: { 201: TenantJson, ...errors(401, ...BODY_ERRORS, 409) },
        },
      },
      async (request, reply) => {
        const created = await tenantAdmin.create(request.body, actor(request));
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant',
      {
        schema: {
          ...common,
          summary: 'A tenant and its settings',
          params: TenantParams,
          response: { 200: TenantJson, ...adminErrors(400) },
        },
      },
      async (request) => {
        kit.admin(request);
        return tenantAdmin.get(request.params.tenant);
      },
    );

    // PUT is the documented method, PATCH its synonym: one partial update.
    app.route({
      method: ['PUT', 'PATCH'],
      url: '/v2/admin/tenants/:tenant',
      schema: {
        ...common,
        summary: 'Change a tenant’s name or settings',
        description:
          'A partial update: each settings member given replaces the stored one, null resets it, absent ' +
          'ones are kept. Every instance applies the change at once (the invalidation bus). PATCH is a ' +
          'synonym.',
        params: TenantParams,
        body: TenantChangeBody,
        response: { 200: TenantJson, ...adminErrors(...BODY_ERRORS, 403) },
      },
      handler: async (request) => tenantAdmin.update(request.params.tenant, request.body, actor(request)),
    });

    app.delete(
      '/v2/admin/tenants/:tenant',
      {
        schema: {
          ...common,
          summary: 'Delete a tenant and everything of it',
          description:
            'A tenant with users needs `?force=true` (409 otherwise). The default tenant cannot be deleted (409).',
          params: TenantParams,
          querystring: DeleteQuery,
          response: {
            200: Type.Object({ id: Type.String(), slug: Type.String(), users_deleted: Type.Integer() }),
            ...adminErrors(400, 409),
          },
        },
      },
      async (request) =>
        tenantAdmin.delete(request.params.tenant, { force: request.query.force === 'true' }, actor(request)),
    );

    app.get(
      '/v2/admin/tenants/:tenant/audit',
      {
        schema: {
          ...common,
          summary: 'The tenant’s audit events, newest first',
          description:
            'Cursor pagination: pass next_cursor as cursor for the next page (null: the last page).',
          params: TenantParams,
          querystring: AuditQuery,
          response: {
            200: Type.Object({
              events: Type.Array(AuditEventJson),
              next_cursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...adminErrors(400),
          },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const q = request.query;
        return auditLog.page(tenant, {
          type: q.type,
          userId: q.user_id,
          from: q.from,
          to: q.to,
          cursor: q.cursor,
          limit: q.limit === undefined ? undefined : Number(q.limit),
        });
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/audit/export',
      {
        schema: {
          ...common,
          summary: 'Every matching audit event, as NDJSON',
          description:
            'One JSON event per line (the shape of the audit list’s events), newest first, streamed.',
          params: TenantParams,
          querystring: AuditExportQuery,
          response: {
            200: Type.Unsafe<string>({
              description: 'application/x-ndjson: one event per line.',
              content: { 'application/x-ndjson': { schema: { type: 'string' } } },
            }),
            ...adminErrors(400),
          },
        },
      },
      async (request, reply) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const q = request.query;
        const query = { type: q.type, userId: q.user_id, from: q.from, to: q.to };
        auditFilter(query); // a bad query is a 400 before the stream starts
        const lines = async function* () {
          for await (const event of auditLog.export(tenant, query)) yield `${JSON.stringify(event)}\n`;
        };
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="audit-${tenant.slug}.ndjson"`)
          .send(Readable.from(lines()));
      },
    );
  };
}
