// The authorization endpoint's checks, in the order they run. Reading this list tells everything the
// endpoint verifies before it looks at the user's session. Until checkRedirectUri passes, a failure is
// shown on an error page; after it, the error goes back to the client's redirect URI.
import { checkClient, checkClientGrantType } from './check-client.js';
import {
  checkAcrValues,
  checkIdTokenHint,
  checkMaxAge,
  checkNonceAndHint,
  checkPrompt,
} from './check-oidc.js';
import { rejectUnsupported } from './check-params.js';
import { checkPkce } from './check-pkce.js';
import { checkRedirectUri } from './check-redirect-uri.js';
import { checkResponseMode, checkResponseType, checkState } from './check-response.js';
import { checkScope } from './check-scope.js';
import type { AuthorizationRequest, Check, CheckDeps } from './request.js';

const OPENID_ONLY: readonly Check[] = [
  checkPrompt,
  checkMaxAge,
  checkAcrValues,
  checkNonceAndHint,
  checkIdTokenHint,
];

export const AUTHORIZATION_CHECKS: readonly Check[] = [
  checkClient,
  checkRedirectUri,
  checkResponseMode,
  checkState,
  rejectUnsupported,
  checkResponseType,
  checkClientGrantType,
  checkScope,
  checkPkce,
  async (request, deps) => {
    if (!request.scopes.includes('openid')) return;
    for (const check of OPENID_ONLY) await check(request, deps);
  },
];

/** The core's checks, then those feature modules add (they run once the request is known to be sound). */
export async function runChecks(
  request: AuthorizationRequest,
  deps: CheckDeps,
  extra: readonly Check[] = [],
): Promise<void> {
  for (const check of AUTHORIZATION_CHECKS) await check(request, deps);
  for (const check of extra) await check(request, deps);
}

export { newAuthorizationRequest, type AuthorizationRequest, type Check, type CheckDeps } from './request.js';
export { singleValued } from './check-params.js';
