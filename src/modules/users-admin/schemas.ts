// The admin API's user shapes. Request objects refuse unknown members (400 naming the member) instead of
// dropping them: a mistyped claim (`phone` for `phone_number`) must not be silently lost. Standard OIDC
// claims sit at the top level of the body and of the answer, as Auth0's and Logto's management APIs do.
import { Type, type TProperties } from '@sinclair/typebox';
import { PublicSession } from '../../http/schemas/auth.js';
import { Email, Name, Nullable, Password, StringEnum, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_METADATA_BYTES } from './service.js';

/** Refuses members a schema does not name (removeAdditional only drops those of `additionalProperties: false`). */
const STRICT = { additionalProperties: Type.Never({ description: 'Unknown member.' }) };
const strict = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { ...STRICT, ...(description ? { description } : {}) });

export const UserParams = strict({ tenant: TenantSlug, id: Uuid });
export const SessionParams = strict({ tenant: TenantSlug, id: Uuid, sid: Uuid });
export const ConsentParams = strict({
  tenant: TenantSlug,
  id: Uuid,
  client_id: Type.String({ pattern: '^[A-Za-z0-9._~-]{1,128}$' }),
});

const text = (maxLength: number, description?: string) => Nullable(Type.String({ maxLength, description }));
const url = (description: string) =>
  Nullable(Type.String({ maxLength: 2048, pattern: '^https?://[^\\s]+$', description }));

export const Address = strict(
  {
    formatted: Type.Optional(Type.String({ maxLength: 500 })),
    street_address: Type.Optional(Type.String({ maxLength: 500 })),
    locality: Type.Optional(Type.String({ maxLength: 200 })),
    region: Type.Optional(Type.String({ maxLength: 200 })),
    postal_code: Type.Optional(Type.String({ maxLength: 32 })),
    country: Type.Optional(Type.String({ maxLength: 200 })),
  },
  'OIDC Core §5.1.1 address claim.',
);

/** The standard claims (OIDC Core §5.1); null removes one. Released by the profile, phone and address scopes. */
const ClaimFields = {
  given_name: Type.Optional(text(200)),
  family_name: Type.Optional(text(200)),
  middle_name: Type.Optional(text(200)),
  nickname: Type.Optional(text(200)),
  preferred_username: Type.Optional(text(200)),
  profile: Type.Optional(url('URL of the profile page.')),
  picture: Type.Optional(url('URL of the profile picture.')),
  website: Type.Optional(url('URL of a web page.')),
  gender: Type.Optional(text(64)),
  birthdate: Type.Optional(
    Nullable(Type.String({ pattern: '^\\d{4}(-\\d{2}-\\d{2})?$', description: 'YYYY-MM-DD, or YYYY.' })),
  ),
  zoneinfo: Type.Optional(text(64, 'An IANA time zone, e.g. Europe/Paris.')),
  locale: Type.Optional(
    Nullable(
      Type.String({
        pattern: '^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$',
        maxLength: 35,
        description: 'BCP 47, e.g. fr-CA.',
      }),
    ),
  ),
  phone_number: Type.Optional(text(32, 'E.164, e.g. +14155550123 (checked with libphonenumber-js).')),
  phone_number_verified: Type.Optional(
    Type.Boolean({ description: 'Defaults to false when the number changes without it.' }),
  ),
  address: Type.Optional(Type.Union([Address, Type.Null()])),
};

const Metadata = (description: string) =>
  Type.Object(
    {},
    { additionalProperties: true, description: `${description} At most ${MAX_METADATA_BYTES} bytes.` },
  );

const EditableFields = {
  name: Type.Optional(Nullable(Name)),
  email_verified: Type.Optional(
    Type.Boolean({ description: 'The operator vouches for the address (no verification mail).' }),
  ),
  ...ClaimFields,
  app_metadata: Type.Optional(
    Metadata(
      'Written by admins only (never by the user): roles of your own, plan, ids in your systems. On update, ' +
        'merged one level deep; a member set to null is removed.',
    ),
  ),
  user_metadata: Type.Optional(
    Metadata("The user's own preferences (theirs to edit). On update, merged like app_metadata."),
  ),
};

export const NewUserBody = strict({
  email: Email,
  password: Type.Optional(
    Type.Union([Password, Type.Null()], {
      description: "Checked against the tenant's password policy. Absent: the user has no password.",
    }),
  ),
  ...EditableFields,
});

export const UserUpdateBody = strict({
  email: Type.Optional({
    ...Email,
    description:
      'A new address is unverified (a verification link is mailed to it) unless `email_verified: true` comes with it.',
  }),
  ...EditableFields,
});

export const SetPasswordBody = strict({
  password: Password,
  sign_out: Type.Optional(
    Type.Boolean({ description: 'Also end every session of the user (default false).' }),
  ),
});

const trueFalse = (description: string) => Type.Optional(StringEnum(['true', 'false'], { description }));
export const UserListQuery = strict({
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,4}$', description: `1 to ${MAX_LIMIT}; default ${DEFAULT_LIMIT}.` }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 300, description: 'The `next_cursor` of the previous page (opaque).' }),
  ),
  email: Type.Optional(
    Type.String({ minLength: 1, maxLength: 254, description: 'A prefix of the address (case-insensitive).' }),
  ),
  created_after: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after.' })),
  created_before: Type.Optional(Type.String({ format: 'date-time', description: 'Created before.' })),
  blocked: trueFalse('Only blocked (true) or not blocked (false) users.'),
  verified: trueFalse('Only users whose address is verified (true) or not (false).'),
  role: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Only the users holding the role of this name (400 when the server has no roles).',
    }),
  ),
});

const ClaimAnswers = Object.fromEntries(
  Object.entries(ClaimFields).map(([key, schema]) => [
    key,
    key === 'address' ? Type.Optional(Type.Object({}, { additionalProperties: true })) : schema,
  ]),
) as typeof ClaimFields;

export const AdminUser = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenant_id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  email_verified: Type.Boolean(),
  name: Nullable(Type.String()),
  ...ClaimAnswers,
  app_metadata: Type.Object({}, { additionalProperties: true }),
  user_metadata: Type.Object({}, { additionalProperties: true }),
  blocked: Type.Boolean(),
  has_password: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  last_login_at: Nullable(Type.String({ format: 'date-time' })),
});

export const UserPage = Type.Object({
  users: Type.Array(AdminUser),
  next_cursor: Nullable(
    Type.String({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  ),
});

export const SessionList = Type.Object({ sessions: Type.Array(PublicSession) });
export const RevokedCount = Type.Object({ sessions_revoked: Type.Integer() });

export const Consent = Type.Object({
  client_id: Type.String(),
  client_name: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export const ConsentList = Type.Object({ consents: Type.Array(Consent) });

export const UserExport = Type.Object(
  {
    exported_at: Type.String({ format: 'date-time' }),
    tenant: Type.Object({ id: Type.String(), slug: Type.String() }),
    user: AdminUser,
    sessions: Type.Array(Type.Object({}, { additionalProperties: true })),
    consents: Type.Array(Consent),
    events: Type.Array(Type.Object({}, { additionalProperties: true })),
    modules: Type.Object(
      {},
      { additionalProperties: true, description: "Each module's part, by module id." },
    ),
  },
  { description: 'Everything stored about the user (GDPR Art. 15 and 20), without secrets.' },
);
