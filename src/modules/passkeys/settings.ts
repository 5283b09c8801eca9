// A tenant's passkeys switch: `tenants.settings.passkeys`, on unless turned off, validated as untrusted
// input wherever it is written (admin API), and read with the default for anything left out or invalid.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const PasskeySettings = Type.Object(
  {
    enabled: Type.Boolean({
      description:
        'Users may sign in with a passkey, add one, and use one as a second factor (default true). Off: ' +
        'passkeys already registered are kept, unusable until it is turned on again.',
    }),
  },
  { additionalProperties: false },
);
export type PasskeySettings = Static<typeof PasskeySettings>;

/** The tenant's switch with its default filled in; a stored value that does not validate counts as unset. */
export function passkeySettingsOf(settings: Record<string, unknown>): PasskeySettings {
  const raw = settings.passkeys;
  return { enabled: Value.Check(PasskeySettings, raw) ? raw.enabled : true };
}
