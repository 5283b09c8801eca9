// client_id names a client of this tenant that may use the authorization code flow. Until this and the
// redirect URI check pass, errors are shown on an error page: redirecting to an unverified URI would
// make us an open redirector (RFC 9700 §4.11).
import { InvalidRequest, UnauthorizedClient } from '../errors.js';
import type { Check } from './request.js';

export const checkClient: Check = async (request, deps) => {
  const clientId = request.params.client_id;
  if (!clientId) throw new InvalidRequest('The client_id parameter is missing.');
  const client = await deps.findClient(request.tenant, clientId);
  if (!client) throw new InvalidRequest('Unknown client_id.');
  request.client = client;
};

export const checkClientGrantType: Check = (request) => {
  if (!request.client!.grantTypes.includes('authorization_code'))
    throw new UnauthorizedClient('This client may not use the authorization code flow.');
};
