// A tenant's sign-in by email: `tenants.settings.email_sign_in`, off unless turned on, validated as
// untrusted input wherever it is written (admin API), and read with defaults for every member left out.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const EmailSignInSettings = Type.Object(
  {
    magic_link: Type.Optional(
      Type.Boolean({ description: 'Users may sign in with a link mailed to them (default false).' }),
    ),
    email_otp: Type.Optional(
      Type.Boolean({ description: 'Users may sign in with a code mailed to them (default false).' }),
    ),
  },
  { additionalProperties: false },
);
export type EmailSignInSettings = Static<typeof EmailSignInSettings>;

/** The tenant's settings with the defaults filled in; a stored value that does not validate counts as unset. */
export function emailSignInOf(settings: Record<string, unknown>): Required<EmailSignInSettings> {
  const raw = settings.email_sign_in;
  const stored: EmailSignInSettings = Value.Check(EmailSignInSettings, raw) ? raw : {};
  return { magic_link: stored.magic_link ?? false, email_otp: stored.email_otp ?? false };
}
