// The CLI's side of the admin API's users: `hellojohn users list|get|update|block|unblock|delete|
// set-password|logout|export` (with the core's `--tenant` and `--json`). The same service calls, validated
// by the same schemas, audited with `via: 'cli'`. `users create` is the core's (src/cli/users.ts).
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { accountKeys } from '../../auth/email-address.js';
import { findUserByEmail } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import { Uuid } from '../../http/schemas/common.js';
import type { CommandHandler, CommandOption, ModuleCommand } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { Database } from '../../db/database.js';
import { UserUpdateBody } from './schemas.js';
import { userJson, type UsersDirectory } from './service.js';

const WHO: CommandOption[] = [
  { flags: '--id <uuid>', description: 'the user, by id' },
  { flags: '--email <email>', description: 'the user, by email address' },
];
const BOOL = ['true', 'false'];

/** `update` options: the flag, and the body member it sets (`--given-name` → given_name). */
const UPDATE_FIELDS: { flag: string; member: string; kind: 'text' | 'bool' | 'json' }[] = [
  ...['name', 'new-email', 'given-name', 'family-name', 'middle-name', 'nickname', 'preferred-username']
    .concat(['picture', 'website', 'profile', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone-number'])
    .map((flag) => ({
      flag,
      member: flag === 'new-email' ? 'email' : flag.replaceAll('-', '_'),
      kind: 'text' as const,
    })),
  { flag: 'email-verified', member: 'email_verified', kind: 'bool' },
  { flag: 'phone-number-verified', member: 'phone_number_verified', kind: 'bool' },
  { flag: 'address', member: 'address', kind: 'json' },
  { flag: 'app-metadata', member: 'app_metadata', kind: 'json' },
  { flag: 'user-metadata', member: 'user_metadata', kind: 'json' },
];

export const usersAdminCommands: readonly ModuleCommand[] = [
  {
    group: 'users',
    name: 'list',
    description: "list the tenant's users, newest first, a page at a time",
    options: [
      { flags: '--email <prefix>', description: 'only addresses starting with this (case-insensitive)' },
      { flags: '--limit <n>', description: 'users per page (1-200, default 50)' },
      { flags: '--cursor <cursor>', description: 'the next_cursor of the previous page' },
      {
        flags: '--blocked <bool>',
        description: 'only blocked (true) or unblocked (false) users',
        choices: BOOL,
      },
      {
        flags: '--verified <bool>',
        description: 'only verified (true) or unverified (false) users',
        choices: BOOL,
      },
      { flags: '--created-after <iso>', description: 'created at or after (ISO 8601)' },
      { flags: '--created-before <iso>', description: 'created before (ISO 8601)' },
      { flags: '--role <name>', description: 'only users holding this role' },
    ],
  },
  { group: 'users', name: 'get', description: 'show a user', options: WHO },
  {
    group: 'users',
    name: 'update',
    description: 'change a user (only the options given; "null" removes a claim)',
    options: [
      ...WHO,
      ...UPDATE_FIELDS.map(({ flag, kind }) => ({
        flags: `--${flag} <${kind === 'json' ? 'json' : 'value'}>`,
        description:
          flag === 'new-email'
            ? 'a new address (unverified, a link is mailed, unless --email-verified true)'
            : `the ${flag.replaceAll('-', ' ')}${kind === 'json' ? ' (JSON object)' : ''}`,
        ...(kind === 'bool' ? { choices: BOOL } : {}),
      })),
    ],
  },
  {
    group: 'users',
    name: 'block',
    description: 'block a user: no sign-in, every session ended',
    options: WHO,
  },
  { group: 'users', name: 'unblock', description: 'unblock a user', options: WHO },
  {
    group: 'users',
    name: 'delete',
    description: 'delete a user and every row of theirs (the audit trail stays)',
    options: [...WHO, { flags: '--yes', description: 'confirm the deletion' }],
  },
  {
    group: 'users',
    name: 'set-password',
    description: "set a user's password (the tenant's policy applies)",
    options: [
      ...WHO,
      { flags: '--password <password>', description: '"-" reads it from the first line of standard input' },
      { flags: '--sign-out', description: 'also end every session of the user' },
    ],
  },
  { group: 'users', name: 'logout', description: 'sign a user out everywhere', options: WHO },
  {
    group: 'users',
    name: 'export',
    description: 'everything stored about a user, as JSON (GDPR)',
    options: WHO,
  },
];

const invalid = (message: string) => new HelloJohnError('invalid_request', message);

export function usersAdminCommandHandlers(
  users: UsersDirectory,
  db: Database,
): Record<string, CommandHandler> {
  const cli = { via: 'cli' as const };
  const userOf = async (tenant: Tenant, { id, email }: Readonly<Record<string, string | true>>) => {
    if ((email === undefined) === (id === undefined))
      throw invalid('name the user with --id or with --email (one of them)');
    if (id !== undefined) {
      if (typeof id !== 'string' || !Value.Check(Uuid, id)) throw invalid('--id must be a user id (a UUID)');
      return users.get(tenant, id);
    }
    const found = await findUserByEmail(db, tenant.id, accountKeys(String(email)));
    if (!found) throw new HelloJohnError('not_found', `no user ${String(email)} in tenant "${tenant.slug}"`);
    return users.get(tenant, found.id);
  };
  const line = (u: ReturnType<typeof userJson>) =>
    `${u.id}  ${u.email}${u.email_verified ? ' (verified)' : ''}${u.blocked ? ' [blocked]' : ''}  ${u.created_at}`;
  const show = (u: ReturnType<typeof userJson>) => ({ json: u, text: JSON.stringify(u, null, 2) });
  const bool = (value: string | true | undefined) => (value === undefined ? undefined : value === 'true');
  const date = (value: string | true | undefined, flag: string) => {
    if (value === undefined) return undefined;
    const parsed = new Date(String(value));
    if (Number.isNaN(parsed.getTime())) throw invalid(`${flag} must be an ISO 8601 date or time`);
    return parsed;
  };

  return {
    'users list': async (tenant, o) => {
      if (o.limit !== undefined && !/^\d{1,4}$/.test(String(o.limit)))
        throw invalid('--limit must be a number');
      const page = await users.list(tenant, {
        limit: o.limit === undefined ? undefined : Number(o.limit),
        cursor: o.cursor === undefined ? undefined : String(o.cursor),
        emailPrefix: o.email === undefined ? undefined : String(o.email),
        blocked: bool(o.blocked),
        verified: bool(o.verified),
        createdAfter: date(o['created-after'], '--created-after'),
        createdBefore: date(o['created-before'], '--created-before'),
        role: o.role === undefined ? undefined : String(o.role),
      });
      const list = page.users.map(userJson);
      return {
        json: { users: list, next_cursor: page.nextCursor },
        text: [
          ...(list.length > 0 ? list.map(line) : [`no users in tenant "${tenant.slug}"`]),
          ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
        ].join('\n'),
      };
    },
    'users get': async (tenant, o) => show(userJson(await userOf(tenant, o))),
    'users update': async (tenant, o) => {
      const user = await userOf(tenant, o);
      const body: Record<string, unknown> = {};
      for (const { flag, member, kind } of UPDATE_FIELDS) {
        const value = o[flag];
        if (value === undefined) continue;
        if (kind === 'bool') body[member] = value === 'true';
        else if (value === 'null') body[member] = null;
        else if (kind === 'json') {
          try {
            body[member] = JSON.parse(String(value));
          } catch {
            throw invalid(`--${flag} must be a JSON object`);
          }
        } else body[member] = String(value);
      }
      if (Object.keys(body).length === 0) throw invalid('nothing to change: give at least one option');
      const error = Value.Errors(UserUpdateBody, body).First();
      if (error) throw invalid(`${error.path || 'body'}: ${error.message}`);
      const claims: Record<string, unknown> = {};
      const fields: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(body))
        (['email', 'email_verified', 'name', 'app_metadata', 'user_metadata'].includes(key)
          ? fields
          : claims)[key] = value;
      return show(userJson(await users.update(tenant, user.id, { ...fields, claims }, cli)));
    },
    'users block': async (tenant, o) =>
      show(userJson(await users.block(tenant, (await userOf(tenant, o)).id, cli))),
    'users unblock': async (tenant, o) =>
      show(userJson(await users.unblock(tenant, (await userOf(tenant, o)).id, cli))),
    'users delete': async (tenant, o) => {
      if (o.yes !== true) throw invalid('deleting a user removes every row of theirs: confirm with --yes');
      const user = await userOf(tenant, o);
      await users.remove(tenant, user.id, cli);
      return {
        json: { status: 'deleted', id: user.id },
        text: `user ${user.email} deleted from tenant "${tenant.slug}"`,
      };
    },
    'users set-password': async (tenant, o) => {
      if (typeof o.password !== 'string') throw invalid('--password is required ("-" reads standard input)');
      const password = o.password === '-' ? (readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '') : o.password;
      if (!password) throw invalid('the password is empty');
      const user = await userOf(tenant, o);
      const { sessionsRevoked } = await users.setPassword(
        tenant,
        user.id,
        password,
        o['sign-out'] === true,
        cli,
      );
      return {
        json: { status: 'password_set', id: user.id, sessions_revoked: sessionsRevoked },
        text: `password set for ${user.email}${o['sign-out'] === true ? `; ${sessionsRevoked} session(s) ended` : ''}`,
      };
    },
    'users logout': async (tenant, o) => {
      const user = await userOf(tenant, o);
      const { sessionsRevoked } = await users.logout(tenant, user.id, cli);
      return {
        json: { status: 'signed_out', id: user.id, sessions_revoked: sessionsRevoked },
        text: `${user.email} signed out everywhere: ${sessionsRevoked} session(s) ended`,
      };
    },
    'users export': async (tenant, o) => {
      const data = await users.export(tenant, (await userOf(tenant, o)).id, cli);
      return { json: data, text: JSON.stringify(data, null, 2) };
    },
  };
}
