// scope: well-formed (a malformed one is invalid_scope), then narrowed to what this client may be granted
// (RFC 6749 §3.3): scopes the client is not registered for, or that nobody here knows, are dropped rather
// than refused, and the token response names the granted scope. The exception is `openid`: dropping it would
// silently turn an OpenID Connect request into plain OAuth 2.0 (no ID token), so a client that may not use
// it gets invalid_scope. Without `openid` this is a plain OAuth 2.0 request and the OpenID-only parameters are
// ignored. offline_access (OIDC Core §11) needs a response type that returns a code, the only one here.
import { InvalidScope } from '../errors.js';
import { grantableScopes, parseScope } from '../scopes.js';
import type { Check } from './request.js';

export const checkScope: Check = (request) => {
  const requested = parseScope(request.params.scope);
  const client = request.client!;
  if (requested.includes('openid') && !client.scopes.includes('openid'))
    throw new InvalidScope('This client may not use OpenID Connect (scope openid).');
  request.scopes = grantableScopes(requested, client);
};
