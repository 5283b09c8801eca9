// GET / (and /t/{slug}/): the issuer's start page, instead of the JSON 404 a browser used to get.
import type { FastifyPluginAsync } from 'fastify';
import type { Tenants } from '../tenants/tenants.js';
import { basePath, sendHtml } from './authorization-flow.js';
import { tenantOf } from './context.js';
import { renderErrorsAsPages } from './page-errors.js';
import { TenantParams } from './schemas.js';
import { homePage } from './views/home.js';

export interface HomePageOptions {
  tenants: Tenants;
  /** BASE_URL without a trailing slash: where the admin API is (it is not per tenant). */
  baseUrl: string;
}

export const homePageRoutes: FastifyPluginAsync<HomePageOptions> = async (app, { tenants, baseUrl }) => {
  renderErrorsAsPages(app, tenants);
  app.get('/', { schema: { params: TenantParams } }, async (request, reply) => {
    const t = await tenantOf(request, tenants);
    // No form on this page, so no CSRF token (and no CSRF cookie set for it).
    const ctx = { tenant: t, csrfToken: '', basePath: basePath(t) };
    return sendHtml(reply, 200, homePage(ctx, { issuer: t.issuer, adminApiBase: baseUrl }));
  });
};
