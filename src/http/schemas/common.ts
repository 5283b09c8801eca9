// What every route schema shares: the request primitives, the tenant path parameter, the one error body,
// and the shapes of the non-JSON answers (HTML pages, redirects, empty bodies). Request objects drop
// unknown properties (removeAdditional) and never coerce types, so `"password": 123` is a 400, not "123".
//
// Response schemas also drive serialisation (fast-json-stringify writes only the properties a schema names):
// an object whose members are open-ended says so with `additionalProperties: true`.
import { Type, type Static, type TObject, type TProperties, type TString } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';

// --- request primitives ------------------------------------------------------------------------------

export const TenantId = Type.String({ minLength: 1, maxLength: 64 });
export const Email = Type.String({ minLength: 3, maxLength: 254, description: 'An email address.' });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const OpaqueToken = Type.String({ minLength: 1, maxLength: 256 });
export const Name = Type.String({ maxLength: 200 });
/** A tenant's slug (1 to 63 characters) or its id (a UUID). */
export const TenantSlug = Type.String({ minLength: 1, maxLength: 63, description: 'A tenant slug or id.' });

// Strict 8-4-4-4-12 hex: ajv's `uuid` format also accepts a `urn:uuid:` prefix PostgreSQL would refuse.
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

export const TenantQuery = Type.Object(
  {
    tenant_id: Type.Optional({
      ...TenantId,
      description: 'The tenant (slug or id); the default one when absent.',
    }),
  },
  { additionalProperties: false },
);

/** A string one of `values`, as one `enum` keyword (cheaper to serialise than a union of literals). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** `T` or null, as a JSON type list (OpenAPI 3.1; cheaper to serialise than anyOf). */
export function Nullable<T extends TString>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: ['string', 'null'] });
}

/**
 * The path parameters of a route every tenant has: `{tenant}` under the `/t/{tenant}` prefix, none at the
 * root (the default tenant). `prefix` is the registering plugin's (`app.prefix`).
 */
export function tenantPath<P extends TProperties>(
  prefix: string,
  properties: P,
): TObject<P> | TObject<P & { tenant: typeof TenantSlug }> {
  return prefix.includes(':tenant')
    ? Type.Object({ ...properties, tenant: TenantSlug })
    : Type.Object(properties);
}

// --- errors ------------------------------------------------------------------------------------------

/** The one error body of the JSON API (src/http/errors.ts writes it). */
export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'A machine-readable error code, e.g. `invalid_request`.' }),
    error_description: Type.String({ description: 'What went wrong, for a person.' }),
    request_id: Type.String({ description: 'The id of the request (also the X-Request-Id header).' }),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

/** Shared schemas, referenced by id from the route schemas: added once to every Fastify instance. */
export function addSharedSchemas(app: FastifyInstance): void {
  app.addSchema(ErrorResponse);
}

const RETRY_AFTER = { type: 'string', description: 'Seconds to wait before trying again.' };

const ERRORS = {
  400: { description: 'The request is not valid (`invalid_request` and others).' },
  401: {
    description: 'Authentication is missing or failed (`invalid_token`, `invalid_client`, ...).',
    headers: { 'www-authenticate': { type: 'string', description: 'The authentication challenge.' } },
  },
  403: { description: 'Authenticated, but not allowed (`access_denied`, `insufficient_scope`).' },
  404: { description: 'No such tenant or resource (`not_found`).' },
  409: { description: 'Conflicts with what exists (`email_taken`, `conflict`).' },
  413: { description: 'The request body is too large (`payload_too_large`).' },
  415: { description: 'The Content-Type is not accepted (`unsupported_media_type`).' },
  429: { description: 'Too many attempts (`rate_limited`).', headers: { 'retry-after': RETRY_AFTER } },
  500: { description: 'An unexpected error (`server_error`).' },
  502: { description: 'A server called for the request refused or did not answer (`bad_gateway`).' },
  503: {
    description: 'The server is shutting down or its database is unavailable (`service_unavailable`).',
    headers: { 'retry-after': RETRY_AFTER },
  },
} as const;
export type ErrorStatus = keyof typeof ERRORS;

/** An error answer: the ErrorResponse body with the status's description (and headers). */
export function errorResponse(status: ErrorStatus) {
  return Type.Unsafe<ErrorResponse>(Type.Ref('ErrorResponse', { ...ERRORS[status] }));
}

/** Every route can answer these: an unexpected error, and 503 once shutdown has begun. */
const ANY_ROUTE: readonly ErrorStatus[] = [500, 503];
/** A route with a body can also be refused for its size or its Content-Type. */
export const BODY_ERRORS: readonly ErrorStatus[] = [400, 413, 415];

/** The error answers of a route: `statuses` plus those every route has. */
export function errors(...statuses: readonly ErrorStatus[]) {
  const answers: Partial<Record<ErrorStatus, ReturnType<typeof errorResponse>>> = {};
  for (const status of [...statuses, ...ANY_ROUTE].sort((a, b) => a - b))
    answers[status] = errorResponse(status);
  return answers;
}

/** One way to authenticate (scheme name to scopes); `{}` is "no authentication". */
type SecurityRequirement = Record<string, string[]>;
const anyOf = (...ways: SecurityRequirement[]) => ways;

/** Security requirements (the schemes are declared in src/http/openapi.ts). */
export const SECURITY = {
  bearer: anyOf({ bearer: [] }),
  bearerOrNone: anyOf({ bearer: [] }, {}),
  sessionCookie: anyOf({ session_cookie: [] }),
  sessionCookieOrNone: anyOf({ session_cookie: [] }, {}),
  adminToken: anyOf({ admin_token: [] }, { admin_api_key: [] }),
  client: anyOf({ client_basic: [] }, {}),
  metricsToken: anyOf({ metrics_token: [] }, {}),
};

/** The `consumes` of a route taking an HTML form or an OAuth form post. */
export const FORM = ['application/x-www-form-urlencoded'];

// --- other answers -----------------------------------------------------------------------------------

/** An HTML page (the hosted pages); errors found by a page are pages too (src/http/page-errors.ts). */
export function htmlPage(description: string) {
  return Type.Unsafe<string>({ description, content: { 'text/html': { schema: { type: 'string' } } } });
}

/** An HTML page or, for errors that are not about the page (see page-errors.ts), the error JSON. */
export function pageOrError(status: ErrorStatus, description: string) {
  return Type.Unsafe<string | ErrorResponse>({
    description,
    content: {
      'text/html': { schema: { type: 'string' } },
      'application/json': { schema: { $ref: 'ErrorResponse' } },
    },
  });
}

/** A redirect (`status` 301, 302 or 303) to the Location header. */
export function redirect(description: string, location = 'Where the browser goes next.') {
  return Type.Unsafe<undefined>({
    description,
    type: 'null',
    headers: { location: { type: 'string', description: location } },
  });
}

/** An empty answer (204, or a 200 with no body). */
export function noContent(description: string) {
  return Type.Unsafe<void>({ description, type: 'null' });
}

/** A JSON object of `properties` that may carry more members than it names (they are all sent). */
export function OpenObject<P extends TProperties>(properties: P, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: true, ...options });
}
