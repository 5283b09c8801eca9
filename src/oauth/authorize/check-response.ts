// response_mode (OAuth 2.0 Multiple Response Types, Form Post Response Mode): `query` (default) or
// `form_post`; it is read before anything can be redirected so that errors use the requested mode.
// response_type: required; only `code` (no implicit or hybrid flows, RFC 9700 §2.1.2).
import { InvalidRequest, UnauthorizedClient, UnsupportedResponseType } from '../errors.js';
import type { Check } from './request.js';

export const checkResponseMode: Check = (request) => {
  const mode = request.params.response_mode;
  if (mode === 'form_post') request.responseMode = 'form_post';
  else if (mode !== undefined && mode !== 'query')
    throw new InvalidRequest('response_mode must be query or form_post.');
};

export const checkState: Check = (request) => {
  request.state = request.params.state;
};

export const checkResponseType: Check = (request) => {
  const type = request.params.response_type;
  if (!type) throw new InvalidRequest('The response_type parameter is missing.');
  if (type !== 'code') throw new UnsupportedResponseType('Only response_type=code is supported.');
  if (!request.client!.responseTypes.includes('code'))
    throw new UnauthorizedClient('This client may not use response_type=code.');
};
