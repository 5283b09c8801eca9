// grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself. The access
// token's subject is the client; scopes must be among the client's allowed scopes and cannot be the
// user scopes (openid, profile, ...). No refresh token and no ID token: the client can simply ask again.
// With a `resource` (RFC 8707) the token is for that API: the token policy decides its scope from what
// the client was granted there (src/oauth/token-policy.ts), so the client's registered scopes do not apply.
import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { parseScope } from '../scopes.js';
import { issueAccessToken } from './access-token.js';
import type { Grant } from './grant.js';

export const clientCredentialsGrant: Grant = async (ctx) => {
  const { client, params } = ctx;
  if (client.type !== 'confidential')
    throw new UnauthorizedClient('Only confidential clients may use client_credentials.');
  const requested = parseScope(params.scope);
  const refused = requested.filter(
    (s) => ctx.scopes.isAboutUser(s) || (params.resource === undefined && !client.scopes.includes(s)),
  );
  if (refused.length > 0) throw new InvalidScope(`Scope not allowed for this grant: ${refused.join(' ')}.`);
  const issued = await issueAccessToken(ctx, { subject: client.clientId, scopes: requested });
  return {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    // RFC 6749 §5.1: scope is included when it says something.
    ...(issued.scope ? { scope: issued.scope } : {}),
  };
};
