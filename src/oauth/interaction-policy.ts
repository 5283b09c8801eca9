// When an authorization must send the user to sign in again: the login prompt as a list of named checks
// (after node-oidc-provider's interaction policy). Each check reads the request and the browser session;
// the first that answers true sends the user to the sign-in page. A feature module adds a check (step-up:
// "the client asked for acr X, the session lacks it") instead of editing a condition here.
import type { AuthorizationRequest } from './authorize/index.js';

/** The browser session the authorization runs under. */
export interface SignedIn {
  sessionId: string;
  userId: string;
  email: string;
  authTime: Date;
  amr: string[];
}

export interface LoginCheck {
  /** snake_case; names the reason in logs and tests. */
  readonly name: string;
  /**
   * True when the user must sign in (again). `fresh`: the session was started during this very
   * authorization, which satisfies prompt=login and max_age.
   */
  needed(request: AuthorizationRequest, session: SignedIn, fresh: boolean): boolean;
  /**
   * The signed-in user passes a second step instead of signing in again (step-up: the request asks for
   * more assurance than the session has). The core's checks all ask for a full sign-in.
   */
  readonly secondStepOnly?: boolean;
}

export const CORE_LOGIN_CHECKS: readonly LoginCheck[] = [
  {
    // OIDC Core §3.1.2.1: an id_token_hint names the only user this request may end with.
    name: 'id_token_hint_other_user',
    needed: (request, session) => request.hint !== undefined && request.hint.sub !== session.userId,
  },
  {
    name: 'prompt_login',
    needed: (request, _session, fresh) =>
      !fresh && (request.prompt.has('login') || request.prompt.has('select_account')),
  },
  {
    name: 'max_age',
    needed: (request, session, fresh) =>
      !fresh &&
      request.maxAgeSeconds !== undefined &&
      Date.now() - session.authTime.getTime() > request.maxAgeSeconds * 1000,
  },
];

/** The name of the first check that asks for a sign-in, or null; no session at all is `no_session`. */
export function loginNeeded(
  checks: readonly LoginCheck[],
  request: AuthorizationRequest,
  session: SignedIn | null,
  fresh: boolean,
): string | null {
  if (session === null) return 'no_session';
  return checks.find((check) => check.needed(request, session, fresh))?.name ?? null;
}
