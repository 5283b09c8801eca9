// How the JSON API says "a second step is required" (api.md: `{mfa_required: true, mfa_token, factors}`).
import type { SecondStepChallenge } from '../kernel/authentication.js';

export interface SecondStepResponse {
  mfa_required: true;
  mfa_token: string;
  factors: string[];
  /** The same list under the name HelloJohn's SDK reads. */
  available_factors: string[];
  preferred_factor?: string;
  /** The user has no factor yet and sets one up now (the tenant requires one). */
  enrollment_required: boolean;
  expires_in: number;
}

export function secondStepResponse(challenge: SecondStepChallenge): SecondStepResponse {
  return {
    mfa_required: true,
    mfa_token: challenge.token,
    factors: challenge.factors,
    available_factors: challenge.factors,
    ...(challenge.preferred ? { preferred_factor: challenge.preferred } : {}),
    enrollment_required: challenge.enroll,
    expires_in: challenge.expiresInSeconds,
  };
}
