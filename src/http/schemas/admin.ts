// Schemas of the admin API (/v2/admin): the clients it creates, lists, changes and rotates secrets of.
import { Type, type Static } from '@sinclair/typebox';
import type { KeyInfo } from '../../keys/key-store.js';
import type { ClientType, GrantType, IdTokenAlg, TokenEndpointAuthMethod } from '../../clients/clients.js';
import { TenantSlug, Uuid } from './common.js';

// Loose bounds here; the precise rules (and their invalid_client_metadata errors) live in the service,
// so the CLI and the API refuse the same things with the same words. The enumerated fields are typed as
// their values for the service, which checks them.
const Uri = Type.String({ maxLength: 4096 });
const UriList = Type.Array(Uri, { maxItems: 100 });
const Jwk = Type.Object({}, { additionalProperties: true });
const Jwks = Type.Object({ keys: Type.Array(Jwk, { maxItems: 100 }) });
const DefaultAcrValues = Type.Array(Type.String({ maxLength: 200 }), {
  maxItems: 50,
  description:
    'OIDC default_acr_values: the acr values a request asks for when it sends no acr_values ' +
    '(acr_values_supported of the discovery document). An empty list clears them.',
});
const checkedString = <T extends string>(maxLength: number, description: string) =>
  Type.Unsafe<T>({ type: 'string', maxLength, description });

export const NewClientBody = Type.Object(
  {
    name: Type.String({ maxLength: 1000 }),
    type: checkedString<ClientType>(32, '`public` or `confidential`.'),
    redirect_uris: Type.Optional(UriList),
    post_logout_redirect_uris: Type.Optional(UriList),
    grant_types: Type.Optional(
      Type.Array(checkedString<GrantType>(64, 'authorization_code, refresh_token or client_credentials.'), {
        maxItems: 10,
      }),
    ),
    token_endpoint_auth_method: Type.Optional(
      checkedString<TokenEndpointAuthMethod>(
        64,
        'client_secret_basic, client_secret_post, private_key_jwt or none.',
      ),
    ),
    scopes: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 200 })),
    first_party: Type.Optional(Type.Boolean()),
    id_token_signed_response_alg: Type.Optional(checkedString<IdTokenAlg>(16, 'RS256, EdDSA or ES256.')),
    jwks: Type.Optional(Type.Union([Jwks, Type.Null()])),
    resource_server: Type.Optional(Type.Boolean()),
    token_endpoint_auth_strict: Type.Optional(Type.Boolean()),
    default_acr_values: Type.Optional(DefaultAcrValues),
    client_id: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

export const ClientSettingsBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 1000 })),
    redirect_uris: Type.Optional(UriList),
    post_logout_redirect_uris: Type.Optional(UriList),
    resource_server: Type.Optional(Type.Boolean()),
    token_endpoint_auth_strict: Type.Optional(Type.Boolean()),
    default_acr_values: Type.Optional(DefaultAcrValues),
  },
  { additionalProperties: false },
);

export const TenantParams = Type.Object({ tenant: TenantSlug });
export const ClientParams = Type.Object({
  tenant: TenantSlug,
  client_id: Type.String({ minLength: 1, maxLength: 256 }),
});

export const ClientJson = Type.Object({
  client_id: Type.String(),
  tenant: Type.String(),
  name: Type.String(),
  type: Type.String(),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  response_types: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String(),
  scopes: Type.Array(Type.String()),
  first_party: Type.Boolean(),
  id_token_signed_response_alg: Type.String(),
  resource_server: Type.Boolean(),
  token_endpoint_auth_strict: Type.Boolean(),
  default_acr_values: Type.Array(Type.String()),
  created_at: Type.String(),
  jwks: Type.Optional(Jwks),
  client_secret: Type.Optional(Type.String({ description: 'Shown once: at creation and rotation.' })),
});

const AdminKeyScope = Type.Union([Type.Literal('admin'), Type.Literal('read_only'), Type.Literal('tenant')]);

export const AdminMeJson = Type.Object({
  admin_id: Type.String(),
  email: Type.String(),
  token_id: Type.String({
    description: 'The id of the API key this request used (signed in to the console: the session id).',
  }),
  via: Type.Union([Type.Literal('api_key'), Type.Literal('console')], {
    description: 'How the caller authenticated: an admin API key, or a sign-in to the admin console.',
  }),
  scope: AdminKeyScope,
  tenant: Type.Union([Type.String(), Type.Null()], { description: 'The one tenant of a `tenant` key.' }),
});

export const NewAdminKeyBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A label for listings.' })),
    scope: Type.Optional(AdminKeyScope),
    tenant: Type.Optional(TenantSlug),
    expires_in: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 315_360_000,
        description: 'Seconds; without it the key does not expire.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const NewAdminKeyJson = Type.Object({
  id: Type.String(),
  key: Type.String({ description: 'Shown only here: store it now.' }),
  scope: AdminKeyScope,
  tenant: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const AdminKeyJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scope: AdminKeyScope,
  tenant: Type.Union([Type.String(), Type.Null()]),
  hint: Type.Union([Type.String(), Type.Null()], { description: 'The start of the key.' }),
  admin_email: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const AdminKeyParams = Type.Object({ id: Uuid });

export const SigningKeyJson = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  created_at: Type.String({ format: 'date-time' }),
  retired_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When a retired key leaves the JWKS.',
  }),
});

export function signingKeyJson(key: KeyInfo): Static<typeof SigningKeyJson> {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    created_at: key.createdAt.toISOString(),
    retired_at: key.retiredAt?.toISOString() ?? null,
    expires_at: key.expiresAt?.toISOString() ?? null,
  };
}
