// The one place where failures become the documented error JSON:
// {"error": "...", "error_description": "...", "request_id": "..."}. No stack traces, no SQL.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HelloJohnError, ServiceUnavailableError } from '../errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 403,
  login_required: 400,
  consent_required: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  email_taken: 409,
  weak_password: 400,
  rate_limited: 429,
  mfa_required: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  service_unavailable: 503,
  migration_error: 503,
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

export interface ErrorBody {
  error: string;
  error_description: string;
  request_id: string;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  description: string,
  headers: Record<string, string> = {},
): FastifyReply {
  const body: ErrorBody = { error: code, error_description: description, request_id: reply.request.id };
  return reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
}

/** Maps framework errors (parsing, validation, limits) to our codes without echoing internals. */
function describeFrameworkError(error: FastifyError): { status: number; code: string; description: string } {
  if (error.validation) {
    const where = error.validationContext ?? 'request';
    return { status: 400, code: 'invalid_request', description: `Invalid ${where}: ${error.message}` };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', description: 'The request body is too large.' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', description: 'Unsupported Content-Type.' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_request', description: 'The JSON body is empty.' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'invalid_request', description: 'The request body is not valid JSON.' };
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, code: 'invalid_request', description: 'The request could not be parsed.' };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, code: status === 404 ? 'not_found' : 'invalid_request', description: error.message };
  }
  return { status: 500, code: 'server_error', description: 'An unexpected error occurred.' };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ServiceUnavailableError) {
      request.log.warn(
        { err: error.cause instanceof Error ? error.cause.message : undefined },
        error.description,
      );
      return sendError(reply, 503, error.code, error.description, {
        'retry-after': String(error.retryAfterSeconds),
      });
    }
    if (error instanceof HelloJohnError) {
      return sendError(reply, statusForCode(error.code), error.code, error.description);
    }
    const { status, code, description } = describeFrameworkError(error);
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, status, code, description);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`),
  );
}
