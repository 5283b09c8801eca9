// redirect_uri is required and must equal one of the client's registered URIs exactly, character for
// character (RFC 9700 §4.1.3: no pattern or prefix matching). Only then may errors be redirected.
import { InvalidRequest } from '../errors.js';
import type { Check } from './request.js';

export const checkRedirectUri: Check = (request) => {
  const uri = request.params.redirect_uri;
  if (!uri) throw new InvalidRequest('The redirect_uri parameter is missing.');
  if (!request.client!.redirectUris.includes(uri))
    throw new InvalidRequest('The redirect_uri is not registered for this client.');
  request.redirectUri = uri;
};
