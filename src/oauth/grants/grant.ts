// What every grant of the token endpoint receives and returns. Kept apart from ./index.ts (which lists
// the grants) so a grant never imports the list it is part of.
import type { Logger } from 'pino';
import type { AuthService, RequestMeta } from '../../auth/service.js';
import type { Client } from '../../clients/clients.js';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { AccessTokens } from '../../tokens/access-tokens.js';
import type { IdTokens } from '../id-tokens.js';

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
  auth: AuthService;
  accessTokens: AccessTokens;
  idTokens: IdTokens;
  logger: Logger;
}

/** A grant receives an authenticated client the endpoint has allowed to use it. */
export type Grant = (context: GrantContext) => Promise<TokenResponse>;
