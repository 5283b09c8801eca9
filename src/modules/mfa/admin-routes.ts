// Admin API: reset a user's MFA, read and write the tenant's MFA policy (settings.mfa).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import { ResetAnswer, UserParams } from './schemas.js';
import type { Mfa } from './service.js';
import { MfaPolicySettings } from './settings.js';

export function mfaAdminRoutes(mfa: Mfa, tenants: Tenants): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };

    app.delete(
      '/v2/admin/tenants/:tenant/users/:id/mfa',
      {
        schema: {
          ...common,
          summary: "Reset a user's MFA",
          description:
            'Removes every second factor and recovery code of the user and forgets their trusted devices; ' +
            'their next sign-in sets a factor up again where the tenant requires one.',
          params: UserParams,
          response: { 200: ResetAnswer, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const { removed } = await mfa.reset(tenant, request.params.id, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
        return { status: 'reset' as const, removed };
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/mfa-policy',
      {
        schema: {
          ...common,
          summary: "The tenant's MFA policy",
          params: TenantParams,
          response: { 200: MfaPolicySettings, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return mfa.policyOf(await tenants.resolve(request.params.tenant));
      },
    );

    app.put(
      '/v2/admin/tenants/:tenant/mfa-policy',
      {
        schema: {
          ...common,
          summary: "Set the tenant's MFA policy",
          description: 'Members left out take their defaults. Running servers apply it at once.',
          params: TenantParams,
          body: MfaPolicySettings,
          response: { 200: MfaPolicySettings, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return mfa.setPolicy(tenant, request.body, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
      },
    );
  };
}
