// The token endpoint's grants, one per file. Each receives an authenticated client (the endpoint has
// already checked the client may use the grant) and returns the token response.
import type { Logger } from 'pino';
import type { RequestMeta } from '../../auth/public.js';
import type { RefreshTokens } from '../../auth/refresh.js';
import type { SessionAccess } from '../../auth/session-access.js';
import type { Client } from '../../clients/clients.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { AccessTokens } from '../../tokens/access-tokens.js';
import type { IdTokens } from '../id-tokens.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-token.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

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
  logger: Logger;
}

export type Grant = (context: GrantContext) => Promise<TokenResponse>;

export const GRANTS: Readonly<Record<string, Grant>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};
