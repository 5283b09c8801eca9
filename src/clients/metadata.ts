// The client model: a registered client's fields and the values each may take. The lists are the facts;
// the types are derived from them. Kept apart from ./clients.ts (the service) and ./validation.ts (the
// rules) so that both can use it without importing each other.
import type { GrantType } from '../oauth/grants/grant-types.js';

export type { GrantType } from '../oauth/grants/grant-types.js';

export const CLIENT_TYPES = ['public', 'confidential'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'none',
  'private_key_jwt',
] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

export const ID_TOKEN_ALGS = ['RS256', 'EdDSA', 'ES256'] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];

export interface Client {
  /** Row id (uuid). */
  id: string;
  tenantId: string;
  clientId: string;
  name: string;
  type: ClientType;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  responseTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  scopes: string[];
  firstParty: boolean;
  idTokenSignedResponseAlg: IdTokenAlg;
  jwks: { keys: object[] } | null;
  /** May introspect every token of its tenant (a resource server); otherwise only its own tokens. */
  resourceServer: boolean;
  /** Only the registered auth method is accepted; otherwise a secret may come by Basic or in the body. */
  tokenEndpointAuthStrict: boolean;
  /** The acr values a request of this client asks for when it names none (OIDC default_acr_values). */
  defaultAcrValues: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewClient {
  name: string;
  type: ClientType;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: GrantType[];
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  scopes?: string[];
  firstParty?: boolean;
  idTokenSignedResponseAlg?: IdTokenAlg;
  jwks?: { keys: object[] } | null;
  resourceServer?: boolean;
  tokenEndpointAuthStrict?: boolean;
  defaultAcrValues?: string[];
  clientId?: string;
}

/** The attributes that can be changed after registration (absent: unchanged). */
export interface ClientSettings {
  name?: string;
  /** Each replaces the list (the same rules as at registration). */
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  resourceServer?: boolean;
  tokenEndpointAuthStrict?: boolean;
  /** Replaces the list; empty clears it. */
  defaultAcrValues?: string[];
}
