// scope: well-formed, and every scope allowed for this client (RFC 6749 §3.3). Without `openid` this is a
// plain OAuth 2.0 request: no ID token, and the OpenID-only parameters are ignored.
import { InvalidScope } from '../errors.js';
import { parseScope } from '../scopes.js';
import type { Check } from './request.js';

export const checkScope: Check = (request) => {
  const scopes = parseScope(request.params.scope);
  const allowed = request.client!.scopes;
  const refused = scopes.filter((s) => !allowed.includes(s));
  if (refused.length > 0) throw new InvalidScope(`Scope not allowed for this client: ${refused.join(' ')}.`);
  request.scopes = scopes;
};
