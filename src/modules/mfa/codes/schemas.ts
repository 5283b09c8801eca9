// Request and answer schemas of the email and SMS factor routes (validation, handler types, OpenAPI).
import { Type } from '@sinclair/typebox';
import { TenantFields } from '../../../http/schemas/auth.js';
import { StringEnum } from '../../../http/schemas/common.js';
import { Csrf } from '../../../http/schemas/pages.js';

const tenantOnly = { tenant_id: TenantFields.tenant_id };

export const Code = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'The code as received (spaces and dashes are ignored).',
});

export const SendEmailCodeBody = Type.Optional(
  Type.Object({ ...tenantOnly }, { additionalProperties: false }),
);

const PhoneNumber = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'A mobile number in international (E.164) format, e.g. `+14155550123`.',
});

export const SendSmsCodeBody = Type.Object(
  { phone_number: PhoneNumber, ...tenantOnly },
  { additionalProperties: false },
);

export const VerifyCodeBody = Type.Object({ code: Code, ...tenantOnly }, { additionalProperties: false });

export const EmailFactorEnabled = Type.Object({
  factor: StringEnum(['email']),
  status: StringEnum(['enabled']),
});

export const SmsFactorEnabled = Type.Object({
  factor: StringEnum(['sms']),
  status: StringEnum(['enabled']),
  phone_number: Type.String({ description: 'The confirmed number, masked ("+1 ••• ••• 0123").' }),
});

// --- the account page's forms (url-encoded, each with the browser's CSRF token) ---

export const PhoneForm = Type.Object({ phone_number: PhoneNumber, csrf_token: Type.Optional(Csrf) });
export const CodeForm = Type.Object({ code: Code, csrf_token: Type.Optional(Csrf) });
