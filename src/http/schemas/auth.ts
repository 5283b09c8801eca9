// Schemas of the first-party auth API (/v2/auth/*, /v2/me, /v2/session*): the request bodies and the
// users, tokens and sessions it answers with.
import { Type } from '@sinclair/typebox';
import { Email, Nullable, Password, StringEnum, TenantId } from './common.js';

/** Which tenant, by name or through the tenant of a client (src/http/context.ts, tenantOf). */
export const TenantFields = {
  tenant_id: Type.Optional({
    ...TenantId,
    description: 'The tenant (slug or id); else the tenant of client_id.',
  }),
  client_id: Type.Optional({ ...TenantId, description: 'A client of the tenant, naming the tenant.' }),
};

export const Credentials = Type.Object(
  { email: Email, password: Password, ...TenantFields },
  { additionalProperties: false },
);

export const PublicUser = Type.Object({
  id: Type.String(),
  tenant_id: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean(),
  name: Nullable(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  last_login_at: Nullable(Type.String({ format: 'date-time' })),
});

const TokenFields = {
  access_token: Type.String({ description: 'A JWT access token.' }),
  token_type: StringEnum(['Bearer']),
  expires_in: Type.Number({ description: 'Seconds until the access token expires.' }),
};

/** An access token alone (a browser session's). */
export const AccessTokenResponse = Type.Object(TokenFields);

/** The first-party API's tokens: an access token and the refresh token that renews it. */
export const TokenResponse = Type.Object({
  ...TokenFields,
  refresh_token: Type.String({ description: 'An opaque refresh token (one use: each refresh rotates it).' }),
});

export const PublicSession = Type.Object({
  id: Type.String(),
  kind: StringEnum(['api', 'browser']),
  created_at: Type.String({ format: 'date-time' }),
  last_seen_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  current: Type.Boolean({ description: 'The session of the access token making this request.' }),
  client_id: Nullable(Type.String({ description: 'The OAuth client the session was issued to.' })),
  offline: Type.Boolean({ description: 'An offline grant (offline_access).' }),
});

export const PasswordPolicy = Type.Object({
  min_length: Type.Number(),
  max_length: Type.Number(),
  require_uppercase: Type.Boolean(),
  require_lowercase: Type.Boolean(),
  require_digit: Type.Boolean(),
  require_symbol: Type.Boolean(),
  reject_common: Type.Boolean(),
  check_breached: Type.Boolean(),
});

export const AuthConfig = Type.Object(
  {
    tenant: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }),
    issuer: Type.String(),
    login_methods: Type.Record(Type.String(), Type.Boolean(), {
      description: 'The sign-in methods installed, each with whether the tenant offers it.',
    }),
    registration_enabled: Type.Boolean(),
    social_providers: Type.Array(Type.String()),
    bot_protection: Type.Object({ enabled: Type.Boolean(), site_key: Nullable(Type.String()) }),
    password_policy: PasswordPolicy,
  },
  // Feature modules add members of their own.
  { additionalProperties: true },
);

export const Accepted = Type.Object({ status: StringEnum(['accepted']) });

/** A login that needs its second step: no token yet (src/http/second-step.ts). */
export const SecondStepRequired = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String({ description: 'Sealed, short-lived: send it to /v2/mfa/challenge with a code.' }),
  factors: Type.Array(Type.String(), { description: 'The factors the user can answer with.' }),
  available_factors: Type.Array(Type.String(), {
    description: 'The same list as `factors`, under the name HelloJohn SDKs read.',
  }),
  preferred_factor: Type.Optional(Type.String({ description: "The user's preferred factor." })),
  enrollment_required: Type.Boolean({
    description:
      'The tenant requires a second factor and the user has none: set one of `factors` up with this mfa_token, then complete the challenge with its first code.',
  }),
  expires_in: Type.Number({ description: 'Seconds until mfa_token expires.' }),
});

/** A second step's code went out (email, SMS). */
export const CodeSent = Type.Object({
  status: StringEnum(['sent']),
  sent_to: Type.String({ description: 'Where the code went, masked ("j•••@example.com", "+1 ••• 0123").' }),
});

/** What a browser-session sign-in answers (the cookie is in Set-Cookie). */
export const BrowserLoginResponse = Type.Object({
  user: PublicUser,
  session: Type.Object({ id: Type.String(), expires_at: Type.String({ format: 'date-time' }) }),
});

/** In the answer to a completed second step, when the factor passed can be used only so many times. */
const UsesLeft = Type.Object(
  {
    factor: Type.String({ description: 'The factor just passed (`recovery_codes`).' }),
    remaining: Type.Integer({ minimum: 0, description: 'How many more times it can be used.' }),
  },
  {
    description:
      'The factor passed has a fixed number of uses (recovery codes): tell the user how many are left, so ' +
      'they make new ones before they run out.',
  },
);

/** A completed second step: the tokens or the browser session, and the uses left of the factor passed. */
export const SecondStepCompleted = Type.Union([
  Type.Object({ ...TokenResponse.properties, uses_left: Type.Optional(UsesLeft) }),
  Type.Object({ ...BrowserLoginResponse.properties, uses_left: Type.Optional(UsesLeft) }),
]);
