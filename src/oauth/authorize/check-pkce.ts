// PKCE (RFC 7636, RFC 9700 §2.1.1):
// - only S256; `plain` is refused (it protects nothing once the request leaks);
// - public clients must send a code_challenge;
// - a challenge is the base64url SHA-256 of a verifier: exactly 43 characters of the base64url alphabet.
import { InvalidRequest } from '../errors.js';
import type { Check } from './request.js';

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export const checkPkce: Check = (request) => {
  const { code_challenge: challenge, code_challenge_method: method } = request.params;
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method without code_challenge.');
    if (request.client!.type === 'public')
      throw new InvalidRequest('PKCE is required: send code_challenge with code_challenge_method=S256.');
    return;
  }
  if (method !== 'S256')
    throw new InvalidRequest('code_challenge_method must be S256 (plain is not allowed).');
  if (!S256_CHALLENGE.test(challenge)) throw new InvalidRequest('The code_challenge is malformed.');
  request.codeChallenge = challenge;
};
