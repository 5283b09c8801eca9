// Errors on the routes a person opens in a browser (the hosted pages, the start page) become an HTML error
// page with fixed text, not the API's JSON: a validation message names the parameter that failed, and a
// browser would show it on our domain. The detail goes to the log with the request id (sendErrorPage).
// Errors that are not about the request's shape (rate limits, an unavailable database, 5xx) go on to the
// application's handler (src/http/errors.ts), which keeps their status and headers.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { sendErrorPage } from './authorization-flow.js';
import { tenantInPath } from './context.js';
import type { PageErrorKind } from './views/error-messages.js';

export function renderErrorsAsPages(app: FastifyInstance, tenants: Tenants): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const kind = pageErrorKind(error);
    if (!kind) throw error;
    const tenant = kind === 'not_found' ? null : await tenantOrNull(request, tenants);
    return sendErrorPage(reply, tenant, kind, error.message);
  });
}

function pageErrorKind(error: FastifyError): PageErrorKind | null {
  if (error instanceof HelloJohnError) {
    if (error.code === 'not_found') return 'not_found';
    return error.code === 'invalid_request' ? 'bad_request' : null;
  }
  if (error.validation || error.statusCode === 400 || error instanceof SyntaxError) return 'bad_request';
  return null;
}

/** The tenant the page is for, for its branding; null when the path names none that exists. */
async function tenantOrNull(request: FastifyRequest, tenants: Tenants): Promise<Tenant | null> {
  try {
    return await tenants.resolve(tenantInPath(request));
  } catch {
    return null;
  }
}
