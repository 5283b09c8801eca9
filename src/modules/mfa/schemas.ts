// Request and response schemas of the MFA API (account and admin routes).
import { Type } from '@sinclair/typebox';
import { TenantFields } from '../../http/schemas/auth.js';
import { Nullable, StringEnum, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { Csrf } from '../../http/schemas/pages.js';

export const FactorId = Type.String({ minLength: 1, maxLength: 64 });
export const Code = Type.String({ minLength: 1, maxLength: 64, description: 'What the user typed.' });
export const MfaToken = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'The mfa_token of a sign-in that answered enrollment_required.',
});

const tenantOnly = { tenant_id: TenantFields.tenant_id };

export const EnrollBody = Type.Optional(
  Type.Object({ mfa_token: Type.Optional(MfaToken), ...tenantOnly }, { additionalProperties: false }),
);

export const TotpEnrollment = Type.Object({
  secret: Type.String({ description: 'The seed in base32, for typing into an app by hand.' }),
  otpauth_uri: Type.String({ description: 'otpauth://totp/… (Key URI Format), for authenticator apps.' }),
  qr_svg: Type.String({ description: 'The QR code of otpauth_uri, an SVG document.' }),
  recovery_codes: Type.Optional(
    Type.Array(Type.String(), {
      description:
        "With the user's first factor: 10 single-use recovery codes, shown this once, usable once the app is confirmed.",
    }),
  ),
});

export const CodeBody = Type.Object({ code: Code, ...tenantOnly }, { additionalProperties: false });

export const TotpChallengeBody = Type.Object(
  { mfa_token: MfaToken, code: Code, ...TenantFields },
  { additionalProperties: false },
);

export const Status = <const T extends string>(value: T) => Type.Object({ status: StringEnum([value]) });

export const RecoveryCodesAnswer = Type.Object({
  recovery_codes: Type.Array(Type.String(), {
    description: 'Ten new single-use codes, shown this once; every earlier code stops working.',
  }),
});

export const Factor = Type.Object({
  id: Type.String({ description: 'Names it in DELETE /v2/auth/mfa/factors/{id}.' }),
  type: Type.String({ description: 'totp, recovery_code, email, sms…' }),
  label: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Nullable(Type.String({ format: 'date-time' })),
  preferred: Type.Boolean(),
  remaining: Type.Optional(Type.Integer({ description: 'Recovery codes: how many are left unused.' })),
});

export const FactorList = Type.Object({
  factors: Type.Array(Factor),
  preferred_factor: Nullable(Type.String()),
});

export const PreferredBody = Type.Object(
  { factor: FactorId, ...tenantOnly },
  { additionalProperties: false },
);

export const UserParams = Type.Object({ tenant: TenantSlug, id: Uuid });

export const ResetAnswer = Type.Object({
  status: StringEnum(['reset']),
  removed: Type.Array(Type.String(), { description: 'The kinds of factor removed.' }),
});

// --- the account page's forms (url-encoded, each with the browser's CSRF token) ---

const csrf = { csrf_token: Type.Optional(Csrf) };

export const CsrfForm = Type.Object(csrf);
export const CodeForm = Type.Object({ code: Code, ...csrf });
export const PreferredForm = Type.Object({
  factor: Type.String({ minLength: 1, maxLength: 64, description: 'The kind of factor: totp, email, sms…' }),
  ...csrf,
});
export const RemoveForm = Type.Object({
  factor_id: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The id of one of the user\u2019s factors.',
  }),
  ...csrf,
});
