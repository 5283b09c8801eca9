// GET / (and /t/{slug}/): the issuer's start page, instead of the JSON 404 a browser used to get.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Tenants } from '../tenants/tenants.js';
import { basePath, sendHtml } from './authorization-flow.js';
import { tenantOf } from './context.js';
import { renderErrorsAsPages } from './page-errors.js';
import { tenantPath } from './schemas/common.js';
import { pageAnswers } from './schemas/pages.js';
import { homePage } from './views/home.js';

export interface HomePageOptions {
  tenants: Tenants;
  /** BASE_URL without a trailing slash: where the admin API is (it is not per tenant). */
  baseUrl: string;
}

export const homePageRoutes: FastifyPluginAsync<HomePageOptions> = async (plugin, { tenants, baseUrl }) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  renderErrorsAsPages(app, tenants);
  const schema = {
    summary: "The issuer's start page",
    tags: ['pages'],
    params: tenantPath(app.prefix, {}),
    response: pageAnswers(),
  };
  const startPage = async (request: FastifyRequest, reply: FastifyReply) => {
    const t = await tenantOf(request, tenants);
    // No form on this page, so no CSRF token (and no CSRF cookie set for it).
    const ctx = { tenant: t, csrfToken: '', basePath: basePath(t) };
    return sendHtml(reply, 200, homePage(ctx, { issuer: t.issuer, adminApiBase: baseUrl }));
  };
  if (app.prefix === '') {
    app.get('/', { schema }, startPage);
    return;
  }
  // Under /t/{slug} the page answers with and without the trailing slash. Fastify would add the slashless
  // twin itself, unseen by the OpenAPI document, so both are registered here.
  app.get('/', { schema, prefixTrailingSlash: 'slash' }, startPage);
  app.get('', { schema }, startPage);
};
