// The shape of the core's tenant settings (src/tenants/settings.ts), as TypeBox: the admin API's body
// schema (and its OpenAPI) and the check the service runs on whatever reaches it (the CLI's JSON too).
// Members these do not name are refused, not dropped: a misspelled switch (`sign_up.enable`) silently
// ignored would leave sign-up on while the operator thinks it off.
import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { LIFETIME_BOUNDS, type LifetimeMember } from './lifetimes.js';

/** An object refusing members it does not name (a 400), whatever ajv's removeAdditional does elsewhere. */
export const Strict = <P extends TProperties>(properties: P, description?: string) =>
  Type.Object(properties, { additionalProperties: Type.Never(), ...(description ? { description } : {}) });
const Switch = (description: string) => Type.Boolean({ description });
const Length = Type.Integer({ minimum: 1, maximum: 1024 });

export const Branding = Strict(
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

const Seconds = (member: LifetimeMember, description: string) =>
  Type.Optional(
    Type.Integer({
      minimum: LIFETIME_BOUNDS[member].min,
      maximum: LIFETIME_BOUNDS[member].max,
      description: `${description} Seconds.`,
    }),
  );

const Lifetimes = Strict(
  {
    access_token: Seconds('access_token', 'Access tokens (expires_in, exp); overrides ACCESS_TTL.'),
    id_token: Seconds('id_token', 'ID tokens (exp); overrides ID_TOKEN_TTL.'),
    refresh_token: Seconds('refresh_token', 'Each refresh token; overrides REFRESH_TTL.'),
    session: Seconds('session', 'A session’s absolute lifetime (row and cookie); overrides SESSION_TTL.'),
    session_idle: Seconds(
      'session_idle',
      'A session unused this long ends; at most `session`. Overrides SESSION_IDLE_TTL.',
    ),
  },
  'How long this tenant’s tokens and sessions live (absent members: the installation’s defaults).',
);

const Smtp = Strict(
  {
    host: Type.String({
      minLength: 1,
      maxLength: 253,
      description: 'A host name or IP address (no scheme, no port). Internal relays are allowed.',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65_535 }),
    secure: Type.Optional(Type.Boolean({ description: 'TLS from the start (port 465); default false.' })),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        writeOnly: true,
        description:
          'Sealed at rest, never shown (GET says password_set). Left out: the stored one is kept ' +
          '(while `user` is given).',
      }),
    ),
    from: Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'The sender: an address, or "Name <address>".',
    }),
  },
  'The tenant’s own SMTP server for all its mail; absent: the installation’s (SMTP_*). Only a full admin ' +
    'key (or the CLI) may change it.',
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
    lifetimes: nullable(Lifetimes),
    smtp: nullable(Smtp),
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
