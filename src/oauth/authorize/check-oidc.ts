// The OpenID Connect parameters (OIDC Core §3.1.2.1), read only when `openid` is requested:
// - prompt: a set of none | login | consent | select_account; `none` may not be combined with others;
// - max_age: a non-negative integer number of seconds;
// - acr_values: space-separated; the values src/oauth/acr.ts knows are kept, others ignored (voluntary
//   claims); without it, the client's default_acr_values;
// - nonce: kept for the ID token; login_hint: pre-fills the login form;
// - id_token_hint: must be an ID token this issuer signed for this client (an expired one is fine, an
//   access token never is); the request is then for that user only (see OAuthService.decide).
import { requestedAcr } from '../acr.js';
import { InvalidRequest, LoginRequired } from '../errors.js';
import type { Check } from './request.js';

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

export const checkPrompt: Check = (request) => {
  const value = request.params.prompt;
  if (value === undefined) return;
  const prompts = new Set(value.split(' ').filter((p) => p !== ''));
  for (const p of prompts) if (!PROMPTS.has(p)) throw new InvalidRequest(`Unsupported prompt value: ${p}.`);
  if (prompts.has('none') && prompts.size > 1)
    throw new InvalidRequest('prompt=none cannot be combined with other values.');
  request.prompt = prompts;
};

export const checkMaxAge: Check = (request) => {
  const value = request.params.max_age;
  if (value === undefined) return;
  if (!/^\d{1,9}$/.test(value)) throw new InvalidRequest('max_age must be a non-negative integer.');
  request.maxAgeSeconds = Number(value);
};

export const checkAcrValues: Check = (request) => {
  const value = request.params.acr_values;
  request.acrValues = requestedAcr(
    value !== undefined && value.trim() !== '' ? value : request.client!.defaultAcrValues.join(' '),
  );
};

export const checkNonceAndHint: Check = (request) => {
  request.nonce = request.params.nonce;
  request.loginHint = request.params.login_hint;
};

export const checkIdTokenHint: Check = async (request, deps) => {
  const hint = request.params.id_token_hint;
  if (hint === undefined) return;
  const verified = await deps.idTokenHint(request.tenant, hint, request.client!.clientId);
  if (!verified) {
    // A hint we cannot trust identifies nobody; with prompt=none nobody can be signed in silently.
    if (request.prompt.has('none')) throw new LoginRequired('The id_token_hint is not valid.');
    throw new InvalidRequest('The id_token_hint is not valid.');
  }
  request.hint = verified;
};
