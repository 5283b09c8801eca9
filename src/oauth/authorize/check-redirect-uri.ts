// redirect_uri is required and must name one of the client's registered URIs: the same string, or one that
// differs only by the empty path "/" (src/oauth/redirect-uris.ts; RFC 9700 §4.1.3: no pattern or prefix
// matching). Only then may errors be redirected, and only to the URI as registered.
import { InvalidRequest } from '../errors.js';
import { registeredUri } from '../redirect-uris.js';
import type { Check } from './request.js';

export const checkRedirectUri: Check = (request) => {
  const uri = request.params.redirect_uri;
  if (!uri) throw new InvalidRequest('The redirect_uri parameter is missing.');
  const registered = registeredUri(request.client!.redirectUris, uri);
  if (registered === undefined)
    throw new InvalidRequest('The redirect_uri is not registered for this client.');
  request.redirectUri = registered;
};
