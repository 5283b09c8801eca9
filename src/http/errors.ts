// The one place where failures become the documented error JSON:
// {"error": "...", "error_description": "...", "request_id": "..."}, with the status and headers the
// error carries (src/errors.ts). No stack traces, no SQL.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { HelloJohnError, ServiceUnavailableError, type ErrorCode } from '../errors.js';
import { http } from '../infra/require.js';

const { STATUS_CODES } = http;

export interface ErrorBody {
  error: ErrorCode;
  error_description: string;
  request_id: string;
}

/** The documented error JSON for `error`, with the status and headers the error carries. */
export function sendError(reply: FastifyReply, error: HelloJohnError): FastifyReply {
  const body: ErrorBody = {
    error: error.code,
    error_description: error.description,
    request_id: reply.request.id,
  };
  return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(body);
}

/**
 * Any error as one of our codes. Framework errors (parsing, validation, limits) are described without
 * echoing internals; anything unexpected becomes server_error.
 */
export function asHelloJohnError(error: FastifyError | Error): HelloJohnError {
  if (error instanceof HelloJohnError) return error;
  const framework: Partial<FastifyError> = error;
  if (framework.validation) {
    const where = framework.validationContext ?? 'request';
    return new HelloJohnError('invalid_request', `Invalid ${where}: ${error.message}`);
  }
  switch (framework.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HelloJohnError('payload_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HelloJohnError('unsupported_media_type', 'Unsupported Content-Type.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HelloJohnError('invalid_request', 'The JSON body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HelloJohnError('invalid_request', 'The request body is not valid JSON.');
  }
  const status = framework.statusCode ?? 500;
  if (error instanceof SyntaxError || status === 400) {
    return new HelloJohnError('invalid_request', 'The request could not be parsed.');
  }
  if (status === 404) return new HelloJohnError('not_found', error.message);
  if (status === 413) return new HelloJohnError('payload_too_large', error.message);
  if (status === 415) return new HelloJohnError('unsupported_media_type', error.message);
  // Fastify raises no other 4xx; a plugin's would be a malformed request.
  if (status >= 400 && status < 500) return new HelloJohnError('invalid_request', error.message);
  return new HelloJohnError('server_error', 'An unexpected error occurred.', { cause: error });
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
  const failure =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HelloJohnError('request_header_fields_too_large', 'The request headers are too large.')
      : new HelloJohnError('invalid_request', 'The request could not be parsed.');
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: failure.code,
    error_description: failure.description,
    request_id: requestId,
  } satisfies ErrorBody);
  return [
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status]}`,
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
    const failure = asHelloJohnError(error);
    if (failure instanceof ServiceUnavailableError) {
      request.log.warn(
        { err: failure.cause instanceof Error ? failure.cause.message : undefined },
        failure.description,
      );
    } else if (failure.code === 'server_error') {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(reply, failure);
  });

  // The path is not repeated: a browser would show it as a sentence on our domain (the access log has it).
  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new HelloJohnError('not_found', 'Nothing is served at this path with this method.')),
  );
}
