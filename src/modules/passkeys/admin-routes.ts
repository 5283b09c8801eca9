// Admin API: the tenant's passkeys switch (settings.passkeys), a user's passkeys, and deleting one (a lost
// or compromised device).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors, noContent } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import { jsonOf } from './routes.js';
import { AdminPasskeyParams, AdminUserParams, PasskeyList } from './schemas.js';
import type { Passkeys } from './service.js';
import { PasskeySettings } from './settings.js';

export function passkeyAdminRoutes(
  passkeys: Passkeys,
  tenants: Tenants,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };

    app.get(
      '/v2/admin/tenants/:tenant/passkeys',
      {
        schema: {
          ...common,
          summary: 'Whether the tenant offers passkeys',
          params: TenantParams,
          response: { 200: PasskeySettings, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return passkeys.settingsOf(await tenants.resolve(request.params.tenant));
      },
    );

    app.put(
      '/v2/admin/tenants/:tenant/passkeys',
      {
        schema: {
          ...common,
          summary: "Turn the tenant's passkeys on or off",
          description:
            'On by default. Off: no passkey sign-in (button, autofill, API: 403 `access_denied`), no new ' +
            'passkeys, and a passkey is no second factor; registered passkeys are kept (listed, renamed, ' +
            'deleted) and work again once it is turned back on. Running servers apply it at once. Audited ' +
            '(`passkey.settings_changed`).',
          params: TenantParams,
          body: PasskeySettings,
          response: { 200: PasskeySettings, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return passkeys.setSettings(tenant, request.body, { adminId: who.id, meta: metaOf(request) });
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/users/:id/passkeys',
      {
        schema: {
          ...common,
          summary: "A user's passkeys",
          params: AdminUserParams,
          response: { 200: PasskeyList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return { passkeys: (await passkeys.list(tenant, request.params.id)).map(jsonOf) };
      },
    );

    app.delete(
      '/v2/admin/tenants/:tenant/users/:id/passkeys/:passkey_id',
      {
        schema: {
          ...common,
          summary: "Delete a user's passkey",
          description: "409 `conflict` when it is the user's only way to sign in.",
          params: AdminPasskeyParams,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await passkeys.remove(tenant, request.params.id, request.params.passkey_id, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
        return reply.code(204).send();
      },
    );
  };
}
