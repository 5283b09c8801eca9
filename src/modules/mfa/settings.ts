// A tenant's MFA policy: `tenants.settings.mfa`, validated as untrusted input wherever it is written
// (admin API, CLI), and read with defaults for every member left out.
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const MFA_MODES = ['off', 'optional', 'required'] as const;
export type MfaMode = (typeof MFA_MODES)[number];

export const MfaPolicySettings = Type.Object(
  {
    mode: Type.Optional(
      Type.Union(
        MFA_MODES.map((mode) => Type.Literal(mode)),
        {
          description:
            'off: sign-ins never ask for a second factor; optional: users who set one up are asked; required: everyone, and users without one set one up while signing in.',
        },
      ),
    ),
    factors: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), {
        maxItems: 16,
        uniqueItems: true,
        description: 'The factors users may use (default: every factor this server offers).',
      }),
    ),
    remember_device_days: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 365,
        description: '"Remember this device" for this many days (0: not offered).',
      }),
    ),
    adaptive: Type.Optional(
      Type.Object(
        {
          new_device: Type.Optional(
            Type.Boolean({ description: 'A trusted device is not trusted from another browser.' }),
          ),
          new_ip_network: Type.Optional(
            Type.Boolean({
              description:
                'A trusted device is not trusted from an IP network (/24, /48) none of the last 30 days of sessions came from.',
            }),
          ),
          repeated_failures: Type.Optional(
            Type.Boolean({
              description:
                'A trusted device is not trusted after failure_threshold failed sign-ins of the user in the last hour.',
            }),
          ),
          failure_threshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type MfaPolicySettings = Static<typeof MfaPolicySettings>;

export interface MfaPolicy {
  mode: MfaMode;
  /** Undefined: every registered factor. */
  factors: readonly string[] | undefined;
  rememberDeviceDays: number;
  adaptive: {
    newDevice: boolean;
    newIpNetwork: boolean;
    repeatedFailures: boolean;
    failureThreshold: number;
  };
}

export const DEFAULT_REMEMBER_DEVICE_DAYS = 30;

/** The tenant's policy as stored, without defaults; a stored value that does not validate counts as unset. */
export function storedMfaPolicy(settings: Record<string, unknown>): MfaPolicySettings {
  const raw = settings.mfa;
  return Value.Check(MfaPolicySettings, raw) ? raw : {};
}

/** The tenant's policy with the defaults filled in. */
export function mfaPolicyOf(settings: Record<string, unknown>): MfaPolicy {
  const stored = storedMfaPolicy(settings);
  return {
    mode: stored.mode ?? 'optional',
    factors: stored.factors,
    rememberDeviceDays: stored.remember_device_days ?? DEFAULT_REMEMBER_DEVICE_DAYS,
    adaptive: {
      newDevice: stored.adaptive?.new_device ?? true,
      newIpNetwork: stored.adaptive?.new_ip_network ?? false,
      repeatedFailures: stored.adaptive?.repeated_failures ?? true,
      failureThreshold: stored.adaptive?.failure_threshold ?? 3,
    },
  };
}

/** The policy as the admin API shows it: every member, defaults included. */
export function mfaPolicyJson(policy: MfaPolicy, registered: readonly string[]): Required<MfaPolicySettings> {
  return {
    mode: policy.mode,
    factors: [...(policy.factors ?? registered)],
    remember_device_days: policy.rememberDeviceDays,
    adaptive: {
      new_device: policy.adaptive.newDevice,
      new_ip_network: policy.adaptive.newIpNetwork,
      repeated_failures: policy.adaptive.repeatedFailures,
      failure_threshold: policy.adaptive.failureThreshold,
    },
  };
}
