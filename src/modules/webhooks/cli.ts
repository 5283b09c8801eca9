// The webhook commands, the CLI's side of the admin API: `hellojohn webhooks list|create|delete|test|
// rotate-secret`. The same service calls, audited with `via: 'cli'`.
import { Value } from '@sinclair/typebox/value';
import { HelloJohnError } from '../../errors.js';
import { Uuid } from '../../http/schemas/common.js';
import type { CommandHandler, ModuleCommand } from '../../kernel/module.js';
import { MAX_DESCRIPTION, type Endpoint, type Webhooks } from './service.js';

const ID = { flags: '--id <uuid>', description: 'the endpoint, by id (see `webhooks list`)' };

export const webhookCommands: readonly ModuleCommand[] = [
  { group: 'webhooks', name: 'list', description: "list the tenant's webhook endpoints" },
  {
    group: 'webhooks',
    name: 'create',
    description: 'create a webhook endpoint; its signing secret is printed once',
    options: [
      { flags: '--url <url>', description: 'where events are POSTed (https://)' },
      {
        flags: '--events <list>',
        description: 'comma-separated event types (user.login), prefixes (mfa.*) or * (default *)',
      },
      { flags: '--description <text>', description: 'a note for admins' },
      { flags: '--disabled', description: 'create it disabled' },
    ],
  },
  {
    group: 'webhooks',
    name: 'delete',
    description: 'delete a webhook endpoint and its deliveries',
    options: [ID],
  },
  {
    group: 'webhooks',
    name: 'test',
    description: 'queue a webhook.test event to one endpoint',
    options: [ID],
  },
  {
    group: 'webhooks',
    name: 'rotate-secret',
    description: "replace an endpoint's signing secret; the new one is printed once",
    options: [ID],
  },
];

const line = (e: Endpoint) =>
  `${e.id}  ${e.enabled ? 'enabled ' : 'disabled'}  ${e.url}  [${e.events.join(',')}]${e.description ? `  ${e.description}` : ''}`;

function idOf(options: Readonly<Record<string, string | true>>): string {
  const id = options.id;
  if (typeof id !== 'string' || !Value.Check(Uuid, id))
    throw new HelloJohnError('invalid_request', '--id <uuid> is required (see `hellojohn webhooks list`).');
  return id;
}

export function webhookCommandHandlers(webhooks: Webhooks): Record<string, CommandHandler> {
  const actor = { via: 'cli' as const };
  return {
    'webhooks list': async (tenant) => {
      const list = await webhooks.list(tenant);
      return {
        json: { webhooks: list },
        text: list.length ? list.map(line).join('\n') : 'no webhook endpoints',
      };
    },
    'webhooks create': async (tenant, options) => {
      if (typeof options.url !== 'string')
        throw new HelloJohnError('invalid_request', '--url <url> is required.');
      const events =
        typeof options.events === 'string' ? options.events.split(',').map((e) => e.trim()) : ['*'];
      const description = typeof options.description === 'string' ? options.description : undefined;
      if (description && description.length > MAX_DESCRIPTION)
        throw new HelloJohnError(
          'invalid_request',
          `--description is longer than ${MAX_DESCRIPTION} characters.`,
        );
      const created = await webhooks.create(
        tenant,
        { url: options.url, events, enabled: options.disabled !== true, description },
        actor,
      );
      return {
        json: created,
        text: `${line(created)}\nsecret (shown once, keep it safe): ${created.secret}`,
      };
    },
    'webhooks delete': async (tenant, options) => {
      const id = idOf(options);
      await webhooks.remove(tenant, id, actor);
      return { json: { deleted: id }, text: `deleted ${id}` };
    },
    'webhooks test': async (tenant, options) => {
      const delivery = await webhooks.test(tenant, idOf(options), actor);
      return { json: delivery, text: `queued webhook.test, delivery ${delivery.id}` };
    },
    'webhooks rotate-secret': async (tenant, options) => {
      const rotated = await webhooks.rotateSecret(tenant, idOf(options), actor);
      return { json: rotated, text: `new secret (shown once, keep it safe): ${rotated.secret}` };
    },
  };
}
