// The rules a client's registration metadata must meet. Each failure is an `invalid_client_metadata`
// HelloJohnError (RFC 7591's code) naming the field and the rule, never a database error:
//   - name: 1–200 characters, no control characters;
//   - redirect URIs (and post-logout ones): at most 20, each absolute, ≤ 2000 characters, no fragment,
//     no credentials, no whitespace; https anywhere, http only on loopback hosts (localhost, 127.0.0.0/8,
//     [::1]), other (private-use) schemes only for public clients, never javascript:/data:/file:-like ones;
//   - grant types: a non-empty subset of the implemented ones, each with its own rules (confidential
//     clients only, needs a redirect URI: src/oauth/grants/grant-types.ts);
//   - auth method: public ⇒ none; confidential ⇒ client_secret_basic (default), client_secret_post or
//     private_key_jwt, which needs a JWKS of public keys (and a JWKS is only for private_key_jwt);
//   - scopes: RFC 6749 scope tokens, at most 100; ID token alg one of RS256, EdDSA, ES256;
//   - first_party, resource_server, token_endpoint_auth_strict: true or false (default false);
//   - an update may change the name, the redirect URIs (same rules) and the flags, not type or grants;
//   - default_acr_values: at most 10, each one of acr_values_supported (src/oauth/acr.ts);
//   - client_id, when given: 1–128 of [A-Za-z0-9._~-].
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { HelloJohnError } from '../errors.js';
import { ACR_VALUES_SUPPORTED } from '../oauth/acr.js';
import { DEFAULT_GRANT_TYPES, GRANT_TYPES, GRANT_TYPE_RULES } from '../oauth/grants/grant-types.js';
import { STANDARD_SCOPES } from '../oauth/scope-registry.js';
import { hasControlOrBidi } from '../text-rules.js';
import {
  CLIENT_TYPES,
  ID_TOKEN_ALGS,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type Client,
  type ClientSettings,
  type ClientType,
  type NewClient,
  type TokenEndpointAuthMethod,
} from './metadata.js';

/** A registration that passed every rule: the client's fields, and the client_id asked for (if any). */
export type ValidClient = Omit<Client, 'id' | 'tenantId' | 'clientId' | 'createdAt' | 'updatedAt'> & {
  clientId: string | null;
};

/** The syntax of a client_id (the table's CHECK). */
export const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** What a client that names no scopes may request: the standard scopes granted by default. */
export const DEFAULT_CLIENT_SCOPES: readonly string[] = STANDARD_SCOPES.defaultScopes;
export { DEFAULT_GRANT_TYPES } from '../oauth/grants/grant-types.js';

const MAX_NAME = 200;
const MAX_URIS = 20;
const MAX_URI_LENGTH = 2000;
const MAX_SCOPES = 100;
const MAX_KEYS = 10;
const MAX_ACR_VALUES = 10;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** Schemes that run code or read local data in a browser: never a redirect target. */
const FORBIDDEN_SCHEMES = new Set(['javascript', 'data', 'vbscript', 'file', 'blob', 'about', 'filesystem']);
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function invalidMetadata(description: string): HelloJohnError {
  return new HelloJohnError('invalid_client_metadata', description);
}

export function validateNewClient(input: NewClient): ValidClient {
  if (typeof input !== 'object' || input === null) throw invalidMetadata('The client metadata is missing.');
  const name = validName(input.name);
  const type = oneOf('type', input.type, CLIENT_TYPES);
  const redirectUris = uriList('redirect_uris', input.redirectUris, type);
  const postLogoutRedirectUris = uriList('post_logout_redirect_uris', input.postLogoutRedirectUris, type);

  const grantTypes = dedupe(
    input.grantTypes === undefined
      ? [...DEFAULT_GRANT_TYPES]
      : stringList('grant_types', input.grantTypes).map((g) => oneOf('grant_types', g, GRANT_TYPES)),
  );
  if (grantTypes.length === 0) throw invalidMetadata('grant_types must name at least one grant type.');
  const publicRefused = grantTypes.find((grant) => GRANT_TYPE_RULES[grant].confidentialOnly);
  if (type === 'public' && publicRefused) {
    throw invalidMetadata(`${publicRefused} is only allowed for confidential clients.`);
  }
  const needsRedirect = grantTypes.find((grant) => GRANT_TYPE_RULES[grant].needsRedirectUri);
  if (needsRedirect && redirectUris.length === 0) {
    throw invalidMetadata(`The ${needsRedirect} grant needs at least one redirect URI.`);
  }

  const tokenEndpointAuthMethod =
    input.tokenEndpointAuthMethod === undefined
      ? type === 'public'
        ? 'none'
        : 'client_secret_basic'
      : oneOf('token_endpoint_auth_method', input.tokenEndpointAuthMethod, TOKEN_ENDPOINT_AUTH_METHODS);
  if (type === 'public' && tokenEndpointAuthMethod !== 'none') {
    throw invalidMetadata('A public client must use token_endpoint_auth_method "none".');
  }
  if (type === 'confidential' && tokenEndpointAuthMethod === 'none') {
    throw invalidMetadata(
      'A confidential client must authenticate: token_endpoint_auth_method "none" is refused.',
    );
  }
  const jwks = validJwks(input.jwks ?? null, tokenEndpointAuthMethod);

  const scopes = dedupe(
    input.scopes === undefined ? [...DEFAULT_CLIENT_SCOPES] : stringList('scopes', input.scopes),
  );
  if (scopes.length > MAX_SCOPES) throw invalidMetadata(`scopes: at most ${MAX_SCOPES} scopes.`);
  for (const scope of scopes) {
    if (!SCOPE.test(scope)) {
      throw invalidMetadata(
        `scopes: "${printable(scope)}" is not a valid scope token (RFC 6749 section 3.3).`,
      );
    }
  }

  const firstParty = flag('first_party', input.firstParty);
  const resourceServer = flag('resource_server', input.resourceServer);
  const tokenEndpointAuthStrict = flag('token_endpoint_auth_strict', input.tokenEndpointAuthStrict);
  const idTokenSignedResponseAlg =
    input.idTokenSignedResponseAlg === undefined
      ? 'RS256'
      : oneOf('id_token_signed_response_alg', input.idTokenSignedResponseAlg, ID_TOKEN_ALGS);

  let clientId: string | null = null;
  if (input.clientId !== undefined) {
    if (typeof input.clientId !== 'string' || !CLIENT_ID.test(input.clientId)) {
      throw invalidMetadata('client_id must be 1 to 128 characters among A-Z a-z 0-9 . _ ~ -.');
    }
    clientId = input.clientId;
  }

  return {
    name,
    type,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    responseTypes: dedupe(grantTypes.flatMap((grant) => GRANT_TYPE_RULES[grant].responseTypes)),
    tokenEndpointAuthMethod,
    scopes,
    firstParty,
    idTokenSignedResponseAlg,
    jwks,
    resourceServer,
    tokenEndpointAuthStrict,
    defaultAcrValues: acrList(input.defaultAcrValues),
    clientId,
  };
}

/**
 * The settings of an update, at least one, checked against the client as registered: its type decides
 * which redirect URIs are allowed, and a grant that needs a redirect URI keeps at least one.
 */
export function validateClientSettings(
  input: ClientSettings,
  current: Pick<Client, 'type' | 'grantTypes'>,
): ClientSettings {
  if (typeof input !== 'object' || input === null) throw invalidMetadata('The client settings are missing.');
  const settings: ClientSettings = {};
  if (input.name !== undefined) settings.name = validName(input.name);
  if (input.redirectUris !== undefined) {
    settings.redirectUris = uriList('redirect_uris', input.redirectUris, current.type);
    const needsRedirect = current.grantTypes.find((grant) => GRANT_TYPE_RULES[grant].needsRedirectUri);
    if (needsRedirect && settings.redirectUris.length === 0)
      throw invalidMetadata(`The ${needsRedirect} grant needs at least one redirect URI.`);
  }
  if (input.postLogoutRedirectUris !== undefined)
    settings.postLogoutRedirectUris = uriList(
      'post_logout_redirect_uris',
      input.postLogoutRedirectUris,
      current.type,
    );
  if (input.resourceServer !== undefined)
    settings.resourceServer = flag('resource_server', input.resourceServer);
  if (input.tokenEndpointAuthStrict !== undefined)
    settings.tokenEndpointAuthStrict = flag('token_endpoint_auth_strict', input.tokenEndpointAuthStrict);
  if (input.defaultAcrValues !== undefined) settings.defaultAcrValues = acrList(input.defaultAcrValues);
  if (Object.keys(settings).length === 0)
    throw invalidMetadata(
      'Name a setting to change: name, redirect_uris, post_logout_redirect_uris, resource_server, ' +
        'token_endpoint_auth_strict or default_acr_values.',
    );
  return settings;
}

/** default_acr_values: values we know (an unknown one would silently ask for nothing). */
function acrList(value: unknown): string[] {
  if (value === undefined) return [];
  const values = dedupe(stringList('default_acr_values', value));
  if (values.length > MAX_ACR_VALUES)
    throw invalidMetadata(`default_acr_values: at most ${MAX_ACR_VALUES} values.`);
  for (const acr of values) oneOf('default_acr_values', acr, ACR_VALUES_SUPPORTED);
  return values;
}

function validName(value: unknown): string {
  if (typeof value !== 'string') throw invalidMetadata('name is required.');
  const name = value.normalize('NFC').trim();
  const length = [...name].length;
  if (length < 1 || length > MAX_NAME)
    throw invalidMetadata(`name must be 1 to ${MAX_NAME} characters long.`);
  if (hasControlOrBidi(name)) {
    throw invalidMetadata('name contains control or text-direction characters.');
  }
  return name;
}

/** An optional true/false attribute, false when absent. */
function flag(field: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidMetadata(`${field} must be true or false.`);
  return value;
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const shown = typeof value === 'string' ? `"${printable(value)}"` : 'this value';
  throw invalidMetadata(`${field}: ${shown} is not one of ${allowed.join(', ')}.`);
}

function stringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalidMetadata(`${field} must be a list of strings.`);
  }
  return value;
}

function dedupe<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function uriList(field: string, value: unknown, type: ClientType): string[] {
  if (value === undefined) return [];
  const uris = dedupe(stringList(field, value));
  if (uris.length > MAX_URIS) throw invalidMetadata(`${field}: at most ${MAX_URIS} URIs.`);
  for (const uri of uris) checkRedirectUri(field, uri, type);
  return uris;
}

/** Throws invalid_client_metadata when `uri` may not be registered as a redirect target of this client. */
export function checkRedirectUri(field: string, uri: string, type: ClientType): void {
  const fail = (why: string) => invalidMetadata(`${field}: "${printable(uri)}" ${why}.`);
  if (uri.length > MAX_URI_LENGTH) {
    throw invalidMetadata(`${field}: a URI is longer than ${MAX_URI_LENGTH} characters.`);
  }
  if (/[\s\p{Cc}]/u.test(uri)) throw fail('contains whitespace or control characters');
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  let url: URL;
  try {
    if (!scheme) throw new TypeError('relative');
    url = new URL(uri);
  } catch {
    throw fail('is not an absolute URI');
  }
  if (uri.includes('#')) throw fail('must not contain a fragment');
  if (url.username || url.password) throw fail('must not contain credentials');
  if (scheme === 'https') {
    if (!url.hostname) throw fail('has no host');
    return;
  }
  if (scheme === 'http') {
    if (!isLoopbackHost(url.hostname)) {
      throw fail('uses http: only loopback hosts (localhost, 127.0.0.1, [::1]) may, use https');
    }
    return;
  }
  if (FORBIDDEN_SCHEMES.has(scheme)) throw fail(`uses the ${scheme}: scheme, which is not allowed`);
  if (type !== 'public') throw fail('uses a custom scheme: only public (native) clients may');
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function validJwks(value: unknown, method: TokenEndpointAuthMethod): { keys: object[] } | null {
  if (method !== 'private_key_jwt') {
    if (value !== null)
      throw invalidMetadata('jwks is only used with token_endpoint_auth_method private_key_jwt.');
    return null;
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw invalidMetadata('private_key_jwt needs jwks: {"keys": [...]} with the public keys of the client.');
  }
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > MAX_KEYS) {
    throw invalidMetadata(`jwks must hold 1 to ${MAX_KEYS} keys.`);
  }
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) {
      throw invalidMetadata('jwks: every key must be a JSON object (a JWK).');
    }
    const jwk = key as Record<string, unknown>;
    if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      throw invalidMetadata('jwks must contain public keys only (no private or symmetric key material).');
    }
    if (!['RSA', 'EC', 'OKP'].includes(jwk.kty as string)) {
      throw invalidMetadata('jwks: every key must have kty RSA, EC or OKP.');
    }
    try {
      createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } catch {
      throw invalidMetadata('jwks: a key is not a valid public JWK.');
    }
  }
  return { keys: keys as object[] };
}

/** A value safe to quote in an error message: no control characters, bounded length. */
function printable(value: string): string {
  const clean = value.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
