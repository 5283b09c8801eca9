// Parameters (RFC 6749 §3.1, OIDC Core §3.1.2.1):
// - each parameter at most once;
// - bounded lengths, so the interaction cookie stays small;
// - `request`, `request_uri` and `registration` are recognised and refused with their own error codes
//   (OIDC Core §6 and §7.2.1): this provider does not support request objects or dynamic registration.
import {
  InvalidRequest,
  InvalidTarget,
  RegistrationNotSupported,
  RequestNotSupported,
  RequestUriNotSupported,
} from '../errors.js';

const MAX_LENGTH: Record<string, number> = {
  state: 1024,
  nonce: 512,
  login_hint: 320,
  id_token_hint: 4096,
  scope: 1000,
  redirect_uri: 2000,
};

export function singleValued(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    // RFC 8707 §2: one resource per authorization here (several: a target we do not issue for).
    if (Array.isArray(value) && name === 'resource')
      throw new InvalidTarget('Ask for one resource per authorization request.');
    if (Array.isArray(value)) throw new InvalidRequest(`The ${name} parameter is repeated.`);
    if (value.length > (Object.hasOwn(MAX_LENGTH, name) ? MAX_LENGTH[name]! : 256))
      throw new InvalidRequest(`The ${name} parameter is too long.`);
    // OIDC Core §3.1.2.1: parameters sent without a value are treated as omitted.
    if (value !== '') params[name] = value;
  }
  return params;
}

export const rejectUnsupported = ({ params }: { params: Record<string, string> }) => {
  if (params.request !== undefined) throw new RequestNotSupported('Request objects are not supported.');
  if (params.request_uri !== undefined) throw new RequestUriNotSupported('request_uri is not supported.');
  if (params.registration !== undefined)
    throw new RegistrationNotSupported('The registration parameter is not supported.');
};
