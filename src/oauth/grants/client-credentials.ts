// grant_type=client_credentials (RFC 6749 §4.4): a confidential client acting for itself. The access
// token's subject is the client; scopes must be among the client's allowed scopes and cannot be the
// user scopes (openid, profile, ...). No refresh token and no ID token: the client can simply ask again.
import { InvalidScope, UnauthorizedClient } from '../errors.js';
import { formatScope, parseScope } from '../scopes.js';
import type { Grant } from './grant.js';

export const clientCredentialsGrant: Grant = async (ctx) => {
  const { tenant, client, params } = ctx;
  if (client.type !== 'confidential')
    throw new UnauthorizedClient('Only confidential clients may use client_credentials.');
  const requested = parseScope(params.scope);
  const refused = requested.filter((s) => ctx.scopes.isAboutUser(s) || !client.scopes.includes(s));
  if (refused.length > 0) throw new InvalidScope(`Scope not allowed for this grant: ${refused.join(' ')}.`);
  const scope = formatScope(requested);
  const accessToken = await ctx.accessTokens.issue({
    tenant,
    subject: client.clientId,
    scope,
    clientId: client.clientId,
  });
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: ctx.accessTokens.ttlSeconds,
    // RFC 6749 §5.1: scope is included when it says something.
    ...(scope ? { scope } : {}),
  };
};
