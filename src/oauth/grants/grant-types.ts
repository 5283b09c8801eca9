// The grant types this server implements (RFC 6749 §4, §6), each stated once with the registration rules
// that come with it. Everything else is derived from this table: the `GrantType` type, the grant_types a
// client may register (src/clients/validation.ts), the token endpoint's handlers (./index.ts, which the
// compiler keeps complete) and discovery's grant_types_supported.
//
// This file imports nothing, so the client model can use it without depending on the grants themselves.

export interface GrantTypeRules {
  /** Only a confidential client may register it (the client is the only party it authenticates). */
  confidentialOnly: boolean;
  /** A client registering it needs at least one redirect URI. */
  needsRedirectUri: boolean;
  /** The response_type values it enables at the authorization endpoint. */
  responseTypes: readonly string[];
  /** Registered for a client that names no grant types. */
  byDefault: boolean;
}

export const GRANT_TYPE_RULES = {
  authorization_code: {
    confidentialOnly: false,
    needsRedirectUri: true,
    responseTypes: ['code'],
    byDefault: true,
  },
  refresh_token: { confidentialOnly: false, needsRedirectUri: false, responseTypes: [], byDefault: true },
  client_credentials: {
    confidentialOnly: true,
    needsRedirectUri: false,
    responseTypes: [],
    byDefault: false,
  },
} as const satisfies Record<string, GrantTypeRules>;

export type GrantType = keyof typeof GRANT_TYPE_RULES;

/** Every grant type, in the order above (the order discovery and error messages list them). */
export const GRANT_TYPES = Object.keys(GRANT_TYPE_RULES) as readonly GrantType[];

/** What a client that names no grant types gets. */
export const DEFAULT_GRANT_TYPES: readonly GrantType[] = GRANT_TYPES.filter(
  (grant) => GRANT_TYPE_RULES[grant].byDefault,
);

export function isGrantType(value: string): value is GrantType {
  return Object.hasOwn(GRANT_TYPE_RULES, value);
}
