// Admin API: read and write the tenant's sign-in by email (settings.email_sign_in).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import { EmailSignInSettings } from './schemas.js';
import type { EmailSignIn } from './service.js';

export function emailSignInAdminRoutes(
  signIn: EmailSignIn,
  tenants: Tenants,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken, params: TenantParams };

    app.get(
      '/v2/admin/tenants/:tenant/email-sign-in',
      {
        schema: {
          ...common,
          summary: "The tenant's sign-in by email (links and codes)",
          response: { 200: EmailSignInSettings, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return signIn.settingsOf(await tenants.resolve(request.params.tenant));
      },
    );

    app.put(
      '/v2/admin/tenants/:tenant/email-sign-in',
      {
        schema: {
          ...common,
          summary: "Turn the tenant's sign-in by email on or off",
          description: 'Members left out are off. Running servers apply it at once.',
          body: EmailSignInSettings,
          response: { 200: EmailSignInSettings, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return signIn.setSettings(tenant, request.body, { adminId: who.id, meta: metaOf(request) });
      },
    );
  };
}
