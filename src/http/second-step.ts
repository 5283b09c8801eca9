// How the JSON API says "a second step is required" (api.md: `{mfa_required: true, mfa_token, factors}`).
import type { SecondStepChallenge } from '../kernel/authentication.js';

export interface SecondStepResponse {
  mfa_required: true;
  mfa_token: string;
  factors: string[];
  expires_in: number;
}

export function secondStepResponse(challenge: SecondStepChallenge): SecondStepResponse {
  return {
    mfa_required: true,
    mfa_token: challenge.token,
    factors: challenge.factors,
    expires_in: challenge.expiresInSeconds,
  };
}
