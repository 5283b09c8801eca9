// Errors on the routes a person opens in a browser (the hosted pages, the start page) become an HTML error
// page with fixed text, not the API's JSON: a validation message names the parameter that failed, and a
// browser would show it on our domain. The detail goes to the log with the request id (sendErrorPage).
// Errors that are not about the request's shape (rate limits, an unavailable database, 5xx) go on to the
// application's handler (src/http/errors.ts), which keeps their status and headers.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { sendErrorPage } from './authorization-flow.js';
import { asHelloJohnError } from './errors.js';
import { tenantInPath } from './context.js';
import type { PageErrorKind } from './views/error-messages.js';

/** The errors about the request's shape, and the page each becomes. */
const PAGE_FOR: Partial<Record<ErrorCode, PageErrorKind>> = {
  invalid_request: 'bad_request',
  not_found: 'not_found',
};

export function renderErrorsAsPages(app: FastifyInstance, tenants: Tenants): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    // The same reading of the error as the JSON API's (framework errors included).
    const failure = asHelloJohnError(error);
    const kind = PAGE_FOR[failure.code];
    if (!kind) throw error;
    const tenant = kind === 'not_found' ? null : await tenantOrNull(request, tenants);
    return sendErrorPage(reply, tenant, kind, failure.description);
  });
}

/** The tenant the page is for, for its branding; null when the path names none that exists. */
async function tenantOrNull(request: FastifyRequest, tenants: Tenants): Promise<Tenant | null> {
  try {
    return await tenants.resolve(tenantInPath(request));
  } catch {
    return null;
  }
}
