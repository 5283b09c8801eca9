// The one place where failures become the documented error JSON:
// {"error": "...", "error_description": "...", "request_id": "..."}. No stack traces, no SQL.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { HelloJohnError, ServiceUnavailableError } from '../errors.js';

const STATUS_BY_CODE: Record<string, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_client_metadata: 400,
  access_denied: 403,
  login_required: 401,
  consent_required: 400,
  unsupported_response_type: 400,
  request_not_supported: 400,
  request_uri_not_supported: 400,
  registration_not_supported: 400,
  unsupported_token_type: 400,
  insufficient_scope: 403,
  csrf_failed: 403,
  invalid_credentials: 401,
  invalid_token: 401,
  email_taken: 409,
  weak_password: 400,
  rate_limited: 429,
  mfa_required: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  request_header_fields_too_large: 431,
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

/** True when every string inside `value` can be stored as PostgreSQL text: well-formed UTF-16, no NUL. */
export function storableText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (depth > 32) return false;
  if (Array.isArray(value)) return value.every((v) => storableText(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => storableText(k, depth + 1) && storableText(v, depth + 1));
  }
  return true;
}

/**
 * For errors Node's HTTP parser raises before a request exists (headers too large, malformed request
 * line): the same error JSON, written to the raw socket.
 */
export function clientErrorResponse(error: { code?: string }): string {
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: tooLarge ? 'request_header_fields_too_large' : 'invalid_request',
    error_description: tooLarge ? 'The request headers are too large.' : 'The request could not be parsed.',
    request_id: requestId,
  });
  return [
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

export function registerErrorHandling(app: FastifyInstance): void {
  // Bodies and queries whose strings PostgreSQL cannot store (NUL, lone surrogates) are refused up
  // front; an absent body on a POST/DELETE is an empty object, so "required field" errors read naturally.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && (request.method === 'POST' || request.method === 'DELETE'))
      request.body = {};
    if (!storableText(request.body) || !storableText(request.query) || !storableText(request.params)) {
      done(
        new HelloJohnError(
          'invalid_request',
          'The request contains characters that are not allowed (NUL or invalid Unicode).',
        ),
      );
      return;
    }
    done();
  });

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
      const headers: Record<string, string> = {};
      // RFC 6750: a failed bearer authentication says so in WWW-Authenticate.
      if (error.code === 'invalid_token') headers['www-authenticate'] = 'Bearer error="invalid_token"';
      if (error.code === 'insufficient_scope')
        headers['www-authenticate'] = 'Bearer error="insufficient_scope"';
      // RFC 6749 §5.2: failed client authentication is a 401 challenge.
      if (error.code === 'invalid_client') headers['www-authenticate'] = 'Basic realm="hellojohn"';
      const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (error.code === 'rate_limited' && typeof retryAfter === 'number')
        headers['retry-after'] = String(retryAfter);
      return sendError(reply, statusForCode(error.code), error.code, error.description, headers);
    }
    const { status, code, description } = describeFrameworkError(error);
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, status, code, description);
  });

  // The path is not repeated: a browser would show it as a sentence on our domain (the access log has it).
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, 404, 'not_found', 'Nothing is served at this path with this method.'),
  );
}
