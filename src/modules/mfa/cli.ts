// The MFA commands, the CLI's side of the admin API: `hellojohn users reset-mfa` and `hellojohn tenants
// mfa-policy`. The same service calls, audited with `via: 'cli'`.
import { KindGuard, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HelloJohnError } from '../../errors.js';
import { Uuid } from '../../http/schemas/common.js';
import type { CommandHandler, ModuleCommand } from '../../kernel/module.js';
import type { Mfa } from './service.js';
import { MfaPolicySettings, storedMfaPolicy } from './settings.js';

/** One option of `mfa-policy` per member of the policy schema: adaptive.new_device → --adaptive-new-device. */
interface PolicyOption {
  path: readonly string[];
  /** The flag's name (no dashes), as the handler receives it. */
  name: string;
  flags: string;
  description: string;
  choices?: readonly string[];
  parse(value: string): unknown;
  show(value: unknown): string;
}

const SWITCH = { on: true, off: false } as const;

/** Derived from the schema the admin API validates with, so the two accept the same policies. */
function policyOptions(schema: TObject, prefix: readonly string[] = []): PolicyOption[] {
  return Object.entries(schema.properties).flatMap(([key, member]: [string, TSchema]) => {
    const path = [...prefix, key];
    if (KindGuard.IsObject(member)) return policyOptions(member, path);
    const name = path.join('-').replaceAll('_', '-');
    const description = String(member.description ?? `policy member ${path.join('.')}`);
    const option = { path, name, description, show: String, parse: (value: string): unknown => value };
    if (KindGuard.IsUnion(member))
      return [{ ...option, flags: `--${name} <value>`, choices: member.anyOf.map((m) => String(m.const)) }];
    if (KindGuard.IsBoolean(member))
      return [
        {
          ...option,
          flags: `--${name} <on|off>`,
          choices: Object.keys(SWITCH),
          parse: (value: string) => SWITCH[value as keyof typeof SWITCH],
          show: (value: unknown) => (value ? 'on' : 'off'),
        },
      ];
    if (KindGuard.IsInteger(member))
      return [
        {
          ...option,
          flags: `--${name} <n>`,
          description: `${description} (${member.minimum}–${member.maximum})`,
          // Anything but digits stays a string, for the schema to refuse by name.
          parse: (value: string) => (/^-?\d+$/.test(value) ? Number(value) : value),
        },
      ];
    if (KindGuard.IsArray(member))
      return [
        {
          ...option,
          flags: `--${name} <list>`,
          description: `${description} Comma-separated.`,
          parse: (value: string) => value.split(',').map((item) => item.trim()),
          show: (value: unknown) => (value as string[]).join(','),
        },
      ];
    throw new Error(`no command-line form for the MFA policy member ${path.join('.')}`);
  });
}

const POLICY_OPTIONS = policyOptions(MfaPolicySettings);

export const mfaCommands: readonly ModuleCommand[] = [
  {
    group: 'users',
    name: 'reset-mfa',
    description:
      "remove every second factor and recovery code of a user and forget the user's trusted devices",
    options: [
      { flags: '--email <email>', description: 'the user, by email address' },
      { flags: '--id <uuid>', description: 'the user, by id' },
    ],
  },
  {
    group: 'tenants',
    name: 'mfa-policy',
    description:
      "print the tenant's MFA policy; with options, change the members named (the others keep their values)",
    options: POLICY_OPTIONS.map(({ flags, description, choices }) => ({ flags, description, choices })),
  },
];

export function mfaCommandHandlers(mfa: Mfa): Record<string, CommandHandler> {
  return {
    'users reset-mfa': async (tenant, { email, id }) => {
      if ((email === undefined) === (id === undefined))
        throw new HelloJohnError('invalid_request', 'name the user with --email or with --id (one of them)');
      if (typeof id === 'string' && !Value.Check(Uuid, id))
        throw new HelloJohnError('invalid_request', '--id must be a user id (a UUID)');
      const user = await mfa.userNamed(tenant, typeof id === 'string' ? { id } : { email: String(email) });
      if (!user)
        throw new HelloJohnError('not_found', `no user ${String(id ?? email)} in tenant "${tenant.slug}"`);
      const { removed } = await mfa.reset(tenant, user.id, { via: 'cli' });
      return {
        json: { status: 'reset', user_id: user.id, removed },
        text:
          `MFA reset for ${user.email} in tenant "${tenant.slug}": ` +
          `${removed.length > 0 ? `removed ${removed.join(', ')}` : 'no factor to remove'}; trusted devices forgotten`,
      };
    },
    'tenants mfa-policy': async (tenant, options) => {
      const given = POLICY_OPTIONS.filter((o) => typeof options[o.name] === 'string');
      if (given.length === 0)
        return { json: mfa.policyOf(tenant), text: describePolicy(mfa.policyOf(tenant), tenant.slug) };
      // The stored members, with the ones named replaced; setPolicy validates the whole.
      const next: Record<string, unknown> = structuredClone(storedMfaPolicy(tenant.settings));
      for (const o of given) {
        const parent = o.path.slice(0, -1).reduce<Record<string, unknown>>((at, key) => {
          at[key] ??= {};
          return at[key] as Record<string, unknown>;
        }, next);
        parent[o.path.at(-1)!] = o.parse(options[o.name] as string);
      }
      const policy = await mfa.setPolicy(tenant, next, { via: 'cli' });
      return { json: policy, text: describePolicy(policy, tenant.slug, 'updated') };
    },
  };
}

/** One line per option, as typed: `remember-device-days  30`. */
function describePolicy(policy: Record<string, unknown>, slug: string, verb?: string): string {
  const width = Math.max(...POLICY_OPTIONS.map((o) => o.name.length)) + 2;
  const lines = POLICY_OPTIONS.map((o) => {
    const value = o.path.reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], policy);
    return `${o.name.padEnd(width)}${o.show(value)}`;
  });
  return [`MFA policy of tenant "${slug}"${verb ? ` ${verb}` : ''}:`, ...lines].join('\n');
}
