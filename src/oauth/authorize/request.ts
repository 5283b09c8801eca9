// What the authorization pipeline knows about one request as its checks run. Checks fill it in; the
// first check that fails decides the error. Once `redirectUri` is set the client and its redirect URI
// are proven, and errors may be sent back to the client instead of shown on an error page.
import type { Client } from '../../clients/clients.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { IdTokenHint } from '../id-tokens.js';

export type ResponseMode = 'query' | 'form_post';

export interface AuthorizationRequest {
  tenant: Tenant;
  /** Single-valued parameters as received (duplicates are refused by the first check). */
  params: Record<string, string>;
  client?: Client;
  redirectUri?: string;
  responseMode: ResponseMode;
  state?: string;
  scopes: string[];
  nonce?: string;
  prompt: Set<string>;
  maxAgeSeconds?: number;
  /** The acr levels asked for (acr_values, else the client's default_acr_values), as our values. */
  acrValues: string[];
  loginHint?: string;
  /** A valid id_token_hint: the user this request is for. */
  hint?: IdTokenHint;
  codeChallenge?: string;
}

export interface CheckDeps {
  findClient(tenant: Tenant, clientId: string): Promise<Client | null>;
  /** An ID token this issuer signed for the client (expired tokens accepted), else null. */
  idTokenHint(tenant: Tenant, token: string, clientId: string): Promise<IdTokenHint | null>;
}

/** One rule of the spec: throws an OAuthError when the request breaks it. */
export type Check = (request: AuthorizationRequest, deps: CheckDeps) => void | Promise<void>;

export function newAuthorizationRequest(
  tenant: Tenant,
  params: Record<string, string>,
): AuthorizationRequest {
  return { tenant, params, responseMode: 'query', scopes: [], prompt: new Set(), acrValues: [] };
}
