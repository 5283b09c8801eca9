// The error vocabulary: every failure a service reports carries one of a closed set of snake_case codes
// (the `error` of the documented error JSON) and a human description. Each code's HTTP status and the
// header it demands are stated here once; the JSON API and the hosted pages both read them off the error.

/** What a code means on the wire. `challenge`: the WWW-Authenticate value it always carries. */
interface ErrorCodeSpec {
  status: number;
  challenge?: string;
  /** The response says when to retry (Retry-After): the error must be raised with the seconds. */
  retryAfter?: true;
}

const ERROR_CODES = {
  // RFC 6749 / OpenID Connect / RFC 7009 / RFC 7591.
  invalid_request: { status: 400 },
  // RFC 6749 §5.2: failed client authentication is a 401 challenge.
  invalid_client: { status: 401, challenge: 'Basic realm="hellojohn"' },
  invalid_grant: { status: 400 },
  unauthorized_client: { status: 400 },
  unsupported_grant_type: { status: 400 },
  invalid_scope: { status: 400 },
  invalid_client_metadata: { status: 400 },
  access_denied: { status: 403 },
  login_required: { status: 401 },
  consent_required: { status: 400 },
  interaction_required: { status: 400 },
  unsupported_response_type: { status: 400 },
  request_not_supported: { status: 400 },
  request_uri_not_supported: { status: 400 },
  registration_not_supported: { status: 400 },
  unsupported_token_type: { status: 400 },
  // RFC 8707 §2: the resource a token is asked for is unknown, or not this client's to ask for.
  invalid_target: { status: 400 },
  // RFC 6750 §3: a failed bearer authentication says so in WWW-Authenticate.
  invalid_token: { status: 401, challenge: 'Bearer error="invalid_token"' },
  insufficient_scope: { status: 403, challenge: 'Bearer error="insufficient_scope"' },
  // The first-party API and the hosted pages.
  invalid_credentials: { status: 401 },
  mfa_required: { status: 401 },
  csrf_failed: { status: 403 },
  // The tenant turned sign-up off (settings.sign_up.enabled = false).
  signup_disabled: { status: 403 },
  not_found: { status: 404 },
  email_taken: { status: 409 },
  conflict: { status: 409 },
  weak_password: { status: 400 },
  rate_limited: { status: 429, retryAfter: true },
  // Transport: the request itself is too big or of the wrong kind.
  payload_too_large: { status: 413 },
  unsupported_media_type: { status: 415 },
  request_header_fields_too_large: { status: 431 },
  // The server.
  server_error: { status: 500 },
  // A server we called for the request (a tenant's SMTP server) refused or did not answer.
  bad_gateway: { status: 502 },
  service_unavailable: { status: 503, retryAfter: true },
  migration_error: { status: 503 },
  database_in_use: { status: 503 },
} as const satisfies Record<string, ErrorCodeSpec>;

type Registry = typeof ERROR_CODES;
export type ErrorCode = keyof Registry;
/** Codes whose response says when to retry: raised only with the seconds (RateLimitedError, ServiceUnavailableError). */
export type RetryAfterCode = {
  [C in ErrorCode]: Registry[C] extends { retryAfter: true } ? C : never;
}[ErrorCode];
/** Codes raised with a description alone. */
export type PlainErrorCode = Exclude<ErrorCode, RetryAfterCode>;

/** Every code, in the order above: for schemas (the `error` enum of the OpenAPI document) and tests. */
export const errorCodes: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_CODES).filter(isErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The HTTP status `code` is answered with, unless an error class overrides it. */
export function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

export interface RetryAfterOptions extends ErrorOptions {
  /** Whole seconds until a retry may succeed (Retry-After). */
  retryAfterSeconds: number;
}

export class HelloJohnError extends Error {
  override readonly name: string = 'HelloJohnError';
  readonly code: ErrorCode;
  readonly description: string;
  /** Set for the codes whose response carries Retry-After. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: PlainErrorCode, description: string, options?: ErrorOptions);
  constructor(code: RetryAfterCode, description: string, options: RetryAfterOptions);
  constructor(code: ErrorCode, description: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    // Types close the set for TypeScript callers; this closes it for everything else (casts, plain JS).
    if (!isErrorCode(code)) throw new TypeError(`Unknown error code: ${String(code)}`);
    const spec: ErrorCodeSpec = ERROR_CODES[code];
    const seconds = options?.retryAfterSeconds;
    if (spec.retryAfter && !(typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0)) {
      throw new TypeError(`The error code ${code} needs retryAfterSeconds (a whole number of seconds)`);
    }
    super(description, options);
    this.code = code;
    this.description = description;
    this.retryAfterSeconds = spec.retryAfter ? seconds : undefined;
  }

  /** The HTTP status of the response. A subclass overrides it only where a protocol demands another. */
  get status(): number {
    return statusOf(this.code);
  }

  /** The response headers this error demands (lower-case names). */
  get headers(): Readonly<Record<string, string>> {
    const spec: ErrorCodeSpec = ERROR_CODES[this.code];
    const headers: Record<string, string> = {};
    if (spec.challenge) headers['www-authenticate'] = spec.challenge;
    if (this.retryAfterSeconds !== undefined) headers['retry-after'] = String(this.retryAfterSeconds);
    return headers;
  }
}

/** The database (or another required dependency) cannot be reached right now; retrying later may work. */
export class ServiceUnavailableError extends HelloJohnError {
  override readonly name = 'ServiceUnavailableError';
  declare readonly retryAfterSeconds: number;
  constructor(description: string, retryAfterSeconds = 5, options?: ErrorOptions) {
    super('service_unavailable', description, { ...options, retryAfterSeconds });
  }
}

/** A problem with the schema the binary finds in the database: pending, edited or unknown migrations. */
export class MigrationError extends HelloJohnError {
  override readonly name = 'MigrationError';
  constructor(description: string, options?: ErrorOptions) {
    super('migration_error', description, options);
  }
}
