// When an authorization must send the user to sign in again: the login prompt as a list of named checks
// (after node-oidc-provider's interaction policy). Each check reads the request and the browser session;
// the first that answers true sends the user to the sign-in page, or, for a `secondStepOnly` check, to the
// second step of the signed-in session (step-up). A feature module adds a check instead of editing a
// condition here.
import { secondFactorWanted } from './acr.js';
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
   * more assurance than the session has).
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
  {
    // acr_values (or the client's default_acr_values) asks for a second factor the session lacks.
    name: 'acr_values',
    needed: (request, session) => secondFactorWanted(request.acrValues, session.amr),
    secondStepOnly: true,
  },
];

/** Why the user must act before the authorization goes on: the first check that fires. */
export interface LoginNeeded {
  /** The check's name; no session at all is `no_session`. */
  name: string;
  /** Only the second step of the signed-in session is needed (step-up), not a new sign-in. */
  secondStepOnly: boolean;
}

/**
 * The first check that asks for a sign-in (or a second step), or null. `skipSecondStep`: the second step
 * was offered to this session during the interaction and had nothing to ask (no factor to use or set up),
 * so step-up checks no longer hold the authorization back (acr is voluntary; the token says what was
 * achieved).
 */
export function loginNeeded(
  checks: readonly LoginCheck[],
  request: AuthorizationRequest,
  session: SignedIn | null,
  context: { fresh: boolean; skipSecondStep: boolean },
): LoginNeeded | null {
  if (session === null) return { name: 'no_session', secondStepOnly: false };
  const check = checks.find(
    (c) => !(context.skipSecondStep && c.secondStepOnly) && c.needed(request, session, context.fresh),
  );
  return check ? { name: check.name, secondStepOnly: check.secondStepOnly === true } : null;
}
