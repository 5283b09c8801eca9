// Admin API: a tenant's social providers (the client secret is write-only), and a user's identities
// (every way they sign in) with unlinking a social account, which never takes the last one.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { Identities } from '../../auth/identities.js';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import {
  IdentityList,
  ProviderAdminParams,
  ProviderInput,
  ProviderList,
  ProviderView,
  Removed,
  UserAdminParams,
  UserProviderAdminParams,
} from './schemas.js';
import type { Social } from './service.js';

export function socialAdminRoutes(
  social: Social,
  tenants: Tenants,
  identities: Identities,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const base = '/v2/admin/tenants/:tenant/social-providers';

    app.get(
      base,
      {
        schema: {
          ...common,
          summary: "The tenant's social providers",
          params: TenantParams,
          response: { 200: ProviderList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return { providers: await social.list(await tenants.resolve(request.params.tenant)) };
      },
    );

    app.get(
      `${base}/:provider`,
      {
        schema: {
          ...common,
          summary: 'A social provider of the tenant',
          params: ProviderAdminParams,
          response: { 200: ProviderView, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return social.get(await tenants.resolve(request.params.tenant), request.params.provider);
      },
    );

    app.put(
      `${base}/:provider`,
      {
        schema: {
          ...common,
          summary: 'Configure a social provider of the tenant',
          description:
            'Creates or replaces it. The built-in providers have their kind as id (`google`, `github`, ' +
            '`microsoft`, `apple`, `facebook`, `linkedin`, `discord`, `gitlab`); a generic OpenID Connect ' +
            'provider takes an id of your choice with `kind: "oidc"`, a `label` and its `issuer`. The answer ' +
            'names the `redirect_uri` to register at the provider. Running servers apply it at once.',
          params: ProviderAdminParams,
          body: ProviderInput,
          response: { 200: ProviderView, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return social.save(tenant, request.params.provider, request.body, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
      },
    );

    app.delete(
      `${base}/:provider`,
      {
        schema: {
          ...common,
          summary: 'Remove a social provider of the tenant',
          description:
            'Its button goes; accounts linked to it stay linked (listed, and removable) but cannot sign in with it.',
          params: ProviderAdminParams,
          response: { 200: Removed, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await social.remove(tenant, request.params.provider, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
        return { status: 'removed' as const };
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/users/:id/identities',
      {
        schema: {
          ...common,
          summary: "A user's identities (every way they sign in)",
          description:
            'The password (when the user has one), then what each module holds: social accounts, passkeys.',
          params: UserAdminParams,
          response: { 200: IdentityList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const list = await identities.list(tenant, request.params.id);
        return {
          identities: list.map((i) => ({
            method: i.method,
            id: i.id,
            label: i.label,
            created_at: i.createdAt.toISOString(),
            last_used_at: i.lastUsedAt?.toISOString() ?? null,
          })),
        };
      },
    );

    app.delete(
      '/v2/admin/tenants/:tenant/users/:id/identities/:provider',
      {
        schema: {
          ...common,
          summary: "Unlink a user's social account",
          description: 'Refused (409 conflict) when it is the user\u2019s last way to sign in.',
          params: UserProviderAdminParams,
          response: { 200: Removed, ...errors(400, 401, 404, 409) },
        },
      },
      async (request) => {
        const who = kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await social.unlink(tenant, request.params.id, request.params.provider, {
          via: 'admin_api',
          adminId: who.id,
          meta: metaOf(request),
        });
        return { status: 'removed' as const };
      },
    );
  };
}
