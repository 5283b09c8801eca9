// The CLI's side of the invitations admin API: `hellojohn invitations create|list|get|revoke|resend`
// (with the core's `--tenant` and `--json`). The same service calls, audited with `via: 'cli'`.
import { Value } from '@sinclair/typebox/value';
import { HelloJohnError } from '../../errors.js';
import { Uuid } from '../../http/schemas/common.js';
import type { CommandHandler, CommandOutput, ModuleCommand } from '../../kernel/module.js';
import type { InvitationRow, InvitationStatus } from './repository.js';
import { invitationJson, type Invitations } from './service.js';

const CLI = { via: 'cli' } as const;
const ID = { flags: '--id <uuid>', description: 'the invitation id' };
const EXPIRES = { flags: '--expires-in <seconds>', description: 'how long the link works (default 7 days)' };
const NO_EMAIL = {
  flags: '--skip-email',
  description: 'do not mail the link (hand over the printed one yourself)',
};
const STATUSES = ['pending', 'accepted', 'revoked', 'expired'];

export const invitationCommands: readonly ModuleCommand[] = [
  {
    group: 'invitations',
    name: 'create',
    description: 'invite an address to create an account (the link is printed once)',
    options: [
      { flags: '--email <email>', description: 'the address to invite' },
      { flags: '--roles <names>', description: 'roles the account gets, comma-separated' },
      { flags: '--name <name>', description: "the person's name (they may change it)" },
      EXPIRES,
      NO_EMAIL,
    ],
  },
  {
    group: 'invitations',
    name: 'list',
    description: "list the tenant's invitations, newest first, a page at a time",
    options: [
      { flags: '--status <status>', description: 'only invitations in this state', choices: STATUSES },
      { flags: '--limit <n>', description: 'invitations per page (1-200, default 50)' },
      { flags: '--cursor <cursor>', description: 'the next_cursor of the previous page' },
    ],
  },
  { group: 'invitations', name: 'get', description: 'show an invitation', options: [ID] },
  { group: 'invitations', name: 'revoke', description: 'revoke a pending invitation', options: [ID] },
  {
    group: 'invitations',
    name: 'resend',
    description: 'a new link for a pending invitation (the old one stops working)',
    options: [ID, EXPIRES, NO_EMAIL],
  },
];

type Options = Readonly<Record<string, string | true>>;

export function invitationCommandHandlers(invitations: Invitations): Record<string, CommandHandler> {
  return {
    'invitations create': async (tenant, o) => {
      const email = o.email;
      if (typeof email !== 'string' || email === '') throw invalid('--email is required.');
      const { invitation, url } = await invitations.create(
        tenant,
        {
          email,
          roles:
            typeof o.roles === 'string'
              ? o.roles
                  .split(',')
                  .map((r) => r.trim())
                  .filter(Boolean)
              : [],
          name: typeof o.name === 'string' ? o.name : undefined,
          expiresIn: seconds(o),
          sendEmail: sendEmail(o),
        },
        CLI,
      );
      return withUrl(invitation, url);
    },
    'invitations list': async (tenant, o) => {
      if (o.limit !== undefined && !/^\d{1,4}$/.test(String(o.limit)))
        throw invalid('--limit must be a number.');
      const page = await invitations.list(tenant, {
        status: typeof o.status === 'string' ? (o.status as InvitationStatus) : undefined,
        limit: o.limit === undefined ? undefined : Number(o.limit),
        cursor: typeof o.cursor === 'string' ? o.cursor : undefined,
      });
      const list = page.invitations.map(invitationJson);
      return {
        json: { invitations: list, next_cursor: page.nextCursor },
        text: [
          ...(list.length > 0 ? page.invitations.map(line) : [`no invitations in tenant "${tenant.slug}"`]),
          ...(page.nextCursor ? [`next page: --cursor ${page.nextCursor}`] : []),
        ].join('\n'),
      };
    },
    'invitations get': async (tenant, o) => one(await invitations.get(tenant, id(o))),
    'invitations revoke': async (tenant, o) => one(await invitations.revoke(tenant, id(o), CLI)),
    'invitations resend': async (tenant, o) => {
      const { invitation, url } = await invitations.resend(
        tenant,
        id(o),
        { expiresIn: seconds(o), sendEmail: sendEmail(o) },
        CLI,
      );
      return withUrl(invitation, url);
    },
  };
}

const invalid = (message: string) => new HelloJohnError('invalid_request', message);

function id(o: Options): string {
  if (typeof o.id !== 'string' || !Value.Check(Uuid, o.id))
    throw invalid('--id must be an invitation id (a UUID).');
  return o.id;
}

function seconds(o: Options): number | undefined {
  const value = o['expires-in'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,8}$/.test(value))
    throw invalid('--expires-in must be a number of seconds.');
  return Number(value);
}

const sendEmail = (o: Options) => (o['skip-email'] === true ? false : undefined);

const line = (row: InvitationRow) =>
  `${row.id}  ${row.status.padEnd(8)}  ${row.email}${row.roles.length > 0 ? `  [${row.roles.join(', ')}]` : ''}  expires ${row.expires_at.toISOString()}`;

function one(row: InvitationRow): CommandOutput {
  return { json: invitationJson(row), text: line(row) };
}

function withUrl(row: InvitationRow, url: string): CommandOutput {
  return { json: { ...invitationJson(row), url }, text: `${line(row)}\nlink (shown once): ${url}` };
}
