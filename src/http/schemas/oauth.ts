// Schemas of the OAuth 2.0 / OpenID Connect endpoints. Protocol parameters arrive as form or query strings
// and are checked by src/oauth/ (which answers in the protocol's own words), so the schemas only name the
// parameters, for the reference; the answers of these endpoints are open-ended JSON objects.
import { Type } from '@sinclair/typebox';
import { AccessTokenResponse } from './auth.js';
import { OpenObject } from './common.js';

const text = (description: string) => ({ type: 'string', description });

/**
 * Query or form parameters: strings, and a repeated parameter arrives as an array, which the protocol checks
 * refuse with their own error (so the schema lets it through).
 */
function protocolParameters(documented: Record<string, string>) {
  const param = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
  const properties = Object.fromEntries(
    Object.entries(documented).map(([name, d]) => [name, { ...param, description: d }]),
  );
  return Type.Unsafe<Record<string, string | string[]>>({
    type: 'object',
    properties,
    additionalProperties: param,
  });
}

/** A form body of strings (token, revocation, introspection, UserInfo). */
function formParameters(documented: Record<string, string>) {
  const properties = Object.fromEntries(Object.entries(documented).map(([name, d]) => [name, text(d)]));
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    properties,
    additionalProperties: { type: 'string' },
  });
}

const CLIENT_AUTH = {
  client_id: 'The client (with client_secret, client_assertion, or alone for a public client).',
  client_secret: 'client_secret_post authentication.',
  client_assertion: 'private_key_jwt authentication: a JWT signed with the client\u2019s key.',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
};

export const AuthorizeParameters = protocolParameters({
  response_type: 'Always `code`.',
  client_id: 'The client.',
  redirect_uri: 'One of the client\u2019s registered redirect URIs.',
  scope: 'Space-separated scopes; `openid` for OpenID Connect.',
  state: 'Returned unchanged to the client.',
  nonce: 'Put into the ID token.',
  code_challenge: 'PKCE (RFC 7636) challenge.',
  code_challenge_method: 'Always `S256`.',
  response_mode: '`query` (default) or `form_post`.',
  prompt: '`none`, `login`, `consent` or `select_account`.',
  max_age: 'Maximum authentication age in seconds.',
  login_hint: 'An email address to pre-fill.',
  id_token_hint: 'An ID token naming the expected user.',
  resource: 'RFC 8707: the API (its identifier) the access tokens are for; one value.',
});

export const LogoutParameters = protocolParameters({
  id_token_hint: 'An ID token of the session to end.',
  client_id: 'The client asking for the logout.',
  post_logout_redirect_uri: 'One of the client\u2019s registered post-logout redirect URIs.',
  state: 'Returned unchanged on the redirect.',
  decision: 'The confirmation form\u2019s answer: `logout` or `cancel`.',
  csrf_token: 'The confirmation form\u2019s CSRF token.',
});

const TOKEN_REQUEST = formParameters({
  grant_type: '`authorization_code`, `refresh_token` or `client_credentials`.',
  code: 'authorization_code: the code.',
  redirect_uri: 'authorization_code: the redirect URI of the authorization request.',
  code_verifier: 'authorization_code: the PKCE verifier.',
  refresh_token: 'refresh_token: the refresh token.',
  scope: 'Space-separated scopes (a subset of those granted).',
  ...CLIENT_AUTH,
});
/** `resource` (RFC 8707) may arrive repeated: the endpoint answers that with `invalid_target` itself. */
export const TokenRequest = Type.Unsafe<Record<string, string>>({
  ...TOKEN_REQUEST,
  properties: {
    ...(TOKEN_REQUEST as unknown as { properties: Record<string, unknown> }).properties,
    resource: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
      description: 'RFC 8707: the API (its identifier) the access token is for; one value.',
    },
  },
});

export const TokenParameter = formParameters({
  token: 'The token.',
  token_type_hint: '`access_token` or `refresh_token`.',
  ...CLIENT_AUTH,
});

export const UserInfoRequest = formParameters({
  access_token: 'The access token, when it is not in the Authorization header.',
});

export const TokenResponse = OpenObject(
  {
    ...AccessTokenResponse.properties,
    scope: Type.Optional(Type.String()),
    refresh_token: Type.Optional(Type.String()),
    id_token: Type.Optional(Type.String({ description: 'OpenID Connect: the ID token (a JWT).' })),
  },
  { description: 'The tokens (RFC 6749 \u00a75.1).' },
);

export const IntrospectionResponse = OpenObject(
  { active: Type.Boolean() },
  { description: 'RFC 7662: `active`, and for an active token its claims.' },
);

export const UserInfoResponse = OpenObject(
  { sub: Type.String() },
  { description: 'The claims the access token\u2019s scopes allow.' },
);

export const DiscoveryDocument = OpenObject(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
  },
  { description: 'OpenID Connect Discovery 1.0 / RFC 8414 metadata.' },
);

export const JsonWebKeySet = Type.Object(
  { keys: Type.Array(OpenObject({ kty: Type.String(), kid: Type.Optional(Type.String()) })) },
  { description: 'The public signing keys (RFC 7517).' },
);
