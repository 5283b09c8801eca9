// What the access tokens of the token endpoint carry beyond the core's claims: their audience (RFC 8707
// resource indicators), their scope, extra claims and their lifetime. The core alone issues tokens for its
// own APIs (audience: the tenant's UserInfo endpoint) and refuses any `resource` (invalid_target); a
// feature module that knows API resources sets a policy (ModuleParts.accessTokenPolicy, at most one).
import type { Client } from '../clients/clients.js';
import type { Tenant } from '../tenants/tenants.js';
import { InvalidTarget } from './errors.js';
import type { GrantType } from './grants/grant-types.js';

export interface AccessTokenRequest {
  tenant: Tenant;
  client: Client;
  grant: GrantType;
  /** The user of a user grant (authorization_code, refresh_token); absent for client_credentials. */
  userId?: string;
  /** The OAuth session (the token family; the id codeIssued was told); absent for client_credentials. */
  sessionId?: string;
  /**
   * The scopes the core granted: the code's or the refresh token's (narrowed by `scope`), or for
   * client_credentials with a resource the requested ones, unchecked (the policy decides them).
   */
  scopes: readonly string[];
  /** The token request's `resource` parameter (RFC 8707 §2.2), if any: one value. */
  resource?: string;
}

export interface AccessTokenShape {
  /** The audience (`aud`); absent: the core's own APIs. */
  audience?: string;
  /** The scopes the access token carries (and the token response names); absent: `scopes` as given. */
  scopes?: readonly string[];
  /** Claims added to the token; the core's own claims (iss, sub, aud, scope, …) always win. */
  claims?: Readonly<Record<string, unknown>>;
  /** The token's lifetime in seconds; absent: ACCESS_TTL. */
  ttlSeconds?: number;
}

export interface AccessTokenPolicy {
  /**
   * A code was issued for an authorization request (`params`, as checked): `sessionId` is the OAuth
   * session its exchange starts, the id every later token request of that grant names. Runs before the
   * code is returned; a policy that needs nothing of the request returns at once.
   */
  codeIssued(tenant: Tenant, sessionId: string, params: Readonly<Record<string, string>>): Promise<void>;
  /**
   * The shape of the access token a grant is about to issue (throw OAuthError `invalid_target` to refuse
   * the resource). Called for every token the endpoint issues: it must answer without a query when it
   * has nothing to add (client_credentials without `resource`, say).
   */
  accessToken(request: AccessTokenRequest): Promise<AccessTokenShape>;
}

/** Without a policy: tokens for our own APIs, and any `resource` is a target nobody here knows. */
export const CORE_TOKEN_POLICY: AccessTokenPolicy = {
  codeIssued: () => Promise.resolve(),
  accessToken: (request) => {
    if (request.resource !== undefined)
      return Promise.reject(new InvalidTarget('This server knows no such resource.'));
    return Promise.resolve({});
  },
};
