// TypeBox schemas of the social routes: the sign-in flow, the application's code exchange, the admin
// API's provider configuration and identities.
import { Type, type Static } from '@sinclair/typebox';
import { OpaqueToken, StringEnum, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { InteractionId, ReturnPath } from '../../http/schemas/pages.js';
import { PROVIDER_KINDS } from './providers.js';

export const ProviderId = Type.String({
  pattern: '^[a-z][a-z0-9-]{1,31}$',
  description:
    'The provider: a built-in kind (`google`, `github`…) or the id a tenant gave a generic OIDC provider.',
});

export const ProviderParams = Type.Object({ provider: ProviderId });

const PkceChallenge = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'The application\u2019s PKCE challenge: BASE64URL(SHA-256(code_verifier)).',
});

export const StartQuery = Type.Object({
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
  client_id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'An application\u2019s sign-in (with redirect_uri and code_challenge): its client id.',
    }),
  ),
  redirect_uri: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'One of the application\u2019s registered redirect URIs: the code comes back there.',
    }),
  ),
  code_challenge: Type.Optional(PkceChallenge),
  code_challenge_method: Type.Optional(StringEnum(['S256'] as const)),
  state: Type.Optional(
    Type.String({ maxLength: 256, description: 'The application\u2019s state, given back with the code.' }),
  ),
});

export const CallbackQuery = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 4096 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 1024 })),
  /** A form_post callback, relayed to GET (see pages.ts). */
  relay: Type.Optional(Type.String({ maxLength: 16384 })),
  iss: Type.Optional(Type.String({ maxLength: 2000 })),
});

export const CallbackForm = Type.Object({
  state: Type.Optional(Type.String({ maxLength: 4096 })),
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 1024 })),
  user: Type.Optional(
    Type.String({ maxLength: 4096, description: 'Apple: the user\u2019s name, on the first sign-in only.' }),
  ),
});

export const ExchangeBody = Type.Object(
  {
    code: OpaqueToken,
    code_verifier: Type.String({
      pattern: '^[A-Za-z0-9._~-]{43,128}$',
      description: 'The PKCE verifier whose challenge started the sign-in.',
    }),
    client_id: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export const AccountLinkForm = Type.Object({
  provider: ProviderId,
  csrf_token: Type.Optional(Type.String({ maxLength: 100 })),
});

// --- admin ----------------------------------------------------------------------------------------------

const Scope = Type.String({ pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,100}$' });

export const ProviderOptionsSchema = Type.Object(
  {
    tenant: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9.-]{1,100}$',
        description:
          'Microsoft: `common` (default), `organizations`, `consumers`, or a directory id or domain.',
      }),
    ),
    team_id: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{10}$', description: 'Apple: the Team ID.' })),
    key_id: Type.Optional(
      Type.String({
        pattern: '^[A-Z0-9]{10}$',
        description: 'Apple: the Key ID of the Sign in with Apple key.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ProviderInput = Type.Object(
  {
    kind: Type.Optional(
      StringEnum(PROVIDER_KINDS, {
        description: 'The kind of provider; default: the provider id (required as `oidc` for a generic one).',
      }),
    ),
    label: Type.Optional(
      Type.String({ minLength: 1, maxLength: 60, description: 'The button\u2019s name (generic OIDC).' }),
    ),
    client_id: Type.String({ minLength: 1, maxLength: 512 }),
    client_secret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8192,
        description:
          'Sealed at rest, never shown again; left out on an update, the stored one stays. Apple: the .p8 private key (PEM).',
      }),
    ),
    scopes: Type.Optional(Type.Array(Scope, { minItems: 1, maxItems: 20, uniqueItems: true })),
    issuer: Type.Optional(
      Type.String({
        maxLength: 2000,
        description: 'Generic OIDC (required) and GitLab (self-hosted): the issuer, https.',
      }),
    ),
    options: Type.Optional(ProviderOptionsSchema),
    auto_link: Type.Optional(
      Type.Boolean({
        description:
          'Sign a user in to the existing account with the same email when the provider says it verified that email (default false).',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'Shown and usable (default true).' })),
  },
  { additionalProperties: false },
);
export type ProviderInput = Static<typeof ProviderInput>;

export const ProviderView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  label: Type.String(),
  client_id: Type.String(),
  client_secret_set: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  issuer: Type.Union([Type.String(), Type.Null()]),
  options: Type.Record(Type.String(), Type.String()),
  auto_link: Type.Boolean(),
  enabled: Type.Boolean(),
  redirect_uri: Type.String({ description: 'The callback to register at the provider.' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type ProviderView = Static<typeof ProviderView>;

export const ProviderList = Type.Object({ providers: Type.Array(ProviderView) });

export const ProviderAdminParams = Type.Object({ tenant: TenantSlug, provider: ProviderId });
export const UserAdminParams = Type.Object({ tenant: TenantSlug, id: Uuid });
export const UserProviderAdminParams = Type.Object({ tenant: TenantSlug, id: Uuid, provider: ProviderId });

export const IdentityView = Type.Object({
  method: Type.String({ description: '`password`, or the provider id.' }),
  id: Type.String({ description: 'Within the method: the provider\u2019s subject.' }),
  label: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const IdentityList = Type.Object({ identities: Type.Array(IdentityView) });

export const Removed = Type.Object({ status: Type.Literal('removed') });
