// The OAuth 2.0 / OpenID Connect error family. Each class is one `error` code of the specs (RFC 6749
// §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009, OIDC Core §3.1.2.6); the code's status and headers come
// from the vocabulary in src/errors.ts, so a check only decides *which* rule was broken.
import { HelloJohnError, type PlainErrorCode } from '../errors.js';

export class OAuthError extends HelloJohnError {
  override readonly name: string = 'OAuthError';
}

const define = (code: PlainErrorCode) =>
  class extends OAuthError {
    override readonly name = code;
    constructor(description: string, options?: ErrorOptions) {
      super(code, description, options);
    }
  };

export const InvalidRequest = define('invalid_request');
export const InvalidGrant = define('invalid_grant');
export const UnauthorizedClient = define('unauthorized_client');
export const UnsupportedGrantType = define('unsupported_grant_type');
export const UnsupportedResponseType = define('unsupported_response_type');
export const InvalidScope = define('invalid_scope');
export const AccessDenied = define('access_denied');
export const LoginRequired = define('login_required');
export const ConsentRequired = define('consent_required');
export const InteractionRequired = define('interaction_required');
export const RequestNotSupported = define('request_not_supported');
export const RequestUriNotSupported = define('request_uri_not_supported');
export const RegistrationNotSupported = define('registration_not_supported');
export const UnsupportedTokenType = define('unsupported_token_type');
export const InsufficientScope = define('insufficient_scope');
export const InvalidTarget = define('invalid_target');

/** Client authentication failed (RFC 6749 §5.2): 401 with a WWW-Authenticate challenge (src/errors.ts). */
export class InvalidClient extends OAuthError {
  override readonly name = 'invalid_client';
  constructor(description = 'Client authentication failed.') {
    super('invalid_client', description);
  }
}
