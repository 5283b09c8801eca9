// Authentication Context Class References (OIDC Core §2 `acr`, §3.1.2.1 `acr_values`): the one place that
// states the values this provider names, accepts and returns, and how a session's amr (RFC 8176) maps to
// them. The acr is derived from the amr wherever a token is issued, so it travels with the amr (sessions,
// authorization codes, refresh tokens) and never disagrees with it.

/** Signed in with one factor (a password, a magic link…). */
export const ACR_SINGLE_FACTOR = 'urn:hellojohn:loa:1';
/** Signed in with two factors: the session's amr holds `mfa`. */
export const ACR_MULTI_FACTOR = 'urn:hellojohn:loa:2';
/**
 * Auth0's multi-factor policy URI, which its guides tell clients to send in acr_values: accepted in
 * requests as a name of ACR_MULTI_FACTOR. Tokens always carry our own value.
 */
export const AUTH0_MULTI_FACTOR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

/** What each accepted request value asks for. */
const LEVELS: Readonly<Record<string, string>> = {
  [ACR_SINGLE_FACTOR]: ACR_SINGLE_FACTOR,
  [ACR_MULTI_FACTOR]: ACR_MULTI_FACTOR,
  [AUTH0_MULTI_FACTOR]: ACR_MULTI_FACTOR,
};

/** Discovery's acr_values_supported: every value a request may name. */
export const ACR_VALUES_SUPPORTED: readonly string[] = Object.keys(LEVELS);

/** The acr a session with these amr values achieved. */
export function acrOf(amr: readonly string[]): string {
  return amr.includes('mfa') ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR;
}

/**
 * The levels a space-separated acr_values asks for, as our values. Unknown values are dropped: acr_values
 * is a voluntary claim request (OIDC Core §3.1.2.1), so what we do not know is ignored, not refused.
 */
export function requestedAcr(acrValues: string | undefined): string[] {
  if (acrValues === undefined) return [];
  const known = acrValues
    .split(' ')
    .filter((value) => Object.hasOwn(LEVELS, value))
    .map((value) => LEVELS[value]!);
  return [...new Set(known)];
}

/**
 * Whether a request asking for `requested` needs a second factor the session (`amr`) lacks. acr_values
 * lists acceptable values in order of preference: loa:1 among them means one factor is acceptable.
 */
export function secondFactorWanted(requested: readonly string[], amr: readonly string[]): boolean {
  return (
    requested.length > 0 &&
    !requested.includes(ACR_SINGLE_FACTOR) &&
    requested.includes(ACR_MULTI_FACTOR) &&
    !amr.includes('mfa')
  );
}
