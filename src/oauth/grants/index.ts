// The token endpoint's grants, one per file, keyed by grant type: the compiler refuses a grant type of
// ./grant-types.ts without its handler here. Each receives an authenticated client (the endpoint has
// already checked the client may use the grant) and returns the token response.
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import type { Grant } from './grant.js';
import type { GrantType } from './grant-types.js';
import { refreshTokenGrant } from './refresh-token.js';

export type { Grant, GrantContext, TokenResponse } from './grant.js';
export { isGrantType, type GrantType } from './grant-types.js';

export const GRANTS: Readonly<Record<GrantType, Grant>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};
