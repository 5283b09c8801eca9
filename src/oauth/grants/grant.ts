// What every grant of the token endpoint receives and returns. Kept apart from ./index.ts (which lists
// the grants) so a grant never imports the list it is part of.
import type { Logger } from 'pino';
import type { RequestMeta, TokenResponse as FirstPartyTokens } from '../../auth/public.js';
import type { RefreshTokens } from '../../auth/refresh.js';
import type { SessionAccess } from '../../auth/session-access.js';
import type { Client } from '../../clients/clients.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { TenantLifetimes } from '../../tenants/lifetimes.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { AccessTokens } from '../../tokens/access-tokens.js';
import type { AuthorizationCodes } from '../authorization-codes.js';
import type { IdTokens } from '../id-tokens.js';
import type { ScopeRegistry } from '../scope-registry.js';
import type { AccessTokenPolicy } from '../token-policy.js';
import type { GrantType } from './grant-types.js';

/** The first-party token response, with what OAuth adds: the granted scope, an ID token, no refresh token for some grants. */
export type TokenResponse = Omit<FirstPartyTokens, 'refresh_token'> & {
  scope?: string;
  refresh_token?: string;
  id_token?: string;
};

export interface GrantContext {
  tenant: Tenant;
  client: Client;
  params: Record<string, string | undefined>;
  meta: RequestMeta;
  db: Database;
  config: Config;
  sessionAccess: SessionAccess;
  refreshTokens: RefreshTokens;
  accessTokens: AccessTokens;
  idTokens: IdTokens;
  /** Opens the sealed authorization codes the authorization endpoint issued. */
  codes: AuthorizationCodes;
  /** The tenant's token and session lifetimes. */
  lifetimes: Pick<TenantLifetimes, 'of'>;
  /** The scopes this build knows (standard, plus feature modules') and the claims each releases. */
  scopes: ScopeRegistry;
  /** What the access token carries beyond the core's claims (audience of a `resource`, scope, claims). */
  tokenPolicy: AccessTokenPolicy;
  /** The grant being run. */
  grant: GrantType;
  logger: Logger;
}

/** A grant receives an authenticated client the endpoint has allowed to use it. */
export type Grant = (context: GrantContext) => Promise<TokenResponse>;
