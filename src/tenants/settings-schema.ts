// The shape of the core's tenant settings (src/tenants/settings.ts), as TypeBox: the admin API's body
// schema (and its OpenAPI) and the check the service runs on whatever reaches it (the CLI's JSON too).
// Members these do not name are refused, not dropped: a misspelled switch (`sign_up.enable`) silently
// ignored would leave sign-up on while the operator thinks it off.
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';

/** An object refusing members it does not name (a 400), whatever ajv's removeAdditional does elsewhere. */
export const Strict = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: Type.Never(), ...(description ? { description } : {}) });
const Switch = (description: string) => Type.Boolean({ description });
const Length = Type.Integer({ minimum: 1, maximum: 1024 });

const Branding = Strict(
  {
    display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    logo_url: Type.Optional(Type.String({ maxLength: 2000, description: 'An absolute https: URL.' })),
    primary_color: Type.Optional(
      Type.String({ maxLength: 7, description: 'Buttons and links: #rgb or #rrggbb.' }),
    ),
    background_color: Type.Optional(
      Type.String({ maxLength: 7, description: 'The page background: #rgb or #rrggbb.' }),
    ),
    custom_css: Type.Optional(
      Type.String({
        maxLength: 4000,
        description:
          'Rules in a safe subset of CSS: the pages’ own selectors, presentational properties, no url(), ' +
          '@-rules, comments, escapes or "<" (docs/admin.md, Tenants). Stored as normalised.',
      }),
    ),
  },
  'The hosted pages’ look. Replaces the stored branding as a whole.',
);

const PasswordPolicy = Strict(
  {
    min_length: Type.Optional(Length),
    max_length: Type.Optional(Length),
    require_uppercase: Type.Optional(Type.Boolean()),
    require_lowercase: Type.Optional(Type.Boolean()),
    require_digit: Type.Optional(Type.Boolean()),
    require_symbol: Type.Optional(Type.Boolean()),
    reject_common: Type.Optional(Type.Boolean()),
    check_breached: Type.Optional(Type.Boolean()),
  },
  'Overrides of the installation’s password rules (absent members: the defaults).',
);

const nullable = <T extends ReturnType<typeof Strict>>(schema: T) =>
  Type.Optional(Type.Union([schema, Type.Null()]));

export const SettingsBody = Strict(
  {
    branding: nullable(Branding),
    password_policy: nullable(PasswordPolicy),
    sign_up: nullable(
      Strict({
        enabled: Switch('false: no one creates their own account (API, page, social first sign-in).'),
      }),
    ),
    sign_in: nullable(Strict({ password: Switch('false: no sign-in with a password (API and page).') })),
    cors: nullable(
      Strict({
        allowed_origins: Type.Array(Type.String({ maxLength: 300 }), {
          maxItems: 50,
          description: 'Origins allowed to call this tenant’s routes from a browser, on top of CORS_ORIGINS.',
        }),
      }),
    ),
    audit: nullable(
      Strict({
        retention_days: Type.Integer({
          minimum: 0,
          maximum: 3650,
          description: 'Overrides AUDIT_RETENTION for this tenant; 0 keeps its events for ever.',
        }),
      }),
    ),
  },
  'The core’s settings. A member given replaces the stored one, null resets it to the default, an absent one is kept.',
);

/** Each member's own schema (not null), for errors that name the member's field. */
export const SETTINGS_MEMBERS: Record<string, TSchema> = Object.fromEntries(
  Object.entries(SettingsBody.properties).map(([key, schema]) => [
    key,
    (schema as unknown as { anyOf: TSchema[] }).anyOf[0]!,
  ]),
);
