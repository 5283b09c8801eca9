// `hellojohn tenants create|list|get|update|delete` and `hellojohn audit list|export`: the admin API's
// tenants and audit log (src/admin/tenants.ts, src/admin/audit.ts), from the command line.
import { readFileSync } from 'node:fs';
import type { AuditQuery } from '../admin/audit.js';
import type { TenantChange, TenantDetailJson } from '../admin/tenants.js';
import type { Services } from '../composition.js';
import { CliError } from './context.js';
import { printJson, resolveTenant, withServices } from './management.js';
import { formatTable } from './table.js';

const admin = (services: Services) => services.tenantAdmin;

/** `--settings '{"sign_up":{"enabled":false}}'`, or `-` to read the JSON from standard input. */
function parseSettings(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const raw = text === '-' ? readFileSync(0, 'utf8') : text;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new CliError('--settings must be a JSON object, e.g. \'{"sign_up":{"enabled":false}}\'', 2);
  }
}

function onOff(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new CliError(`${name} must be on or off`, 2);
}

function printTenant(tenant: TenantDetailJson): void {
  const lines = [
    `slug:      ${tenant.slug}`,
    `id:        ${tenant.id}`,
    `name:      ${tenant.name}`,
    `issuer:    ${tenant.issuer}`,
    `sign-up:   ${tenant.effective.sign_up_enabled ? 'on' : 'off'}`,
    `passwords: ${tenant.effective.password_sign_in ? 'on' : 'off'}`,
    `settings:  ${JSON.stringify(tenant.settings)}`,
  ];
  if (tenant.module_settings.length > 0) lines.push(`modules:   ${tenant.module_settings.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function tenantsCreateCommand(options: {
  slug: string;
  name: string;
  settings?: string;
  json?: boolean;
}): Promise<number> {
  return withServices(async (services) => {
    const settings = parseSettings(options.settings);
    const tenant = await admin(services).create(
      { slug: options.slug, name: options.name, settings: settings as TenantChange['settings'] },
      { via: 'cli' },
    );
    if (options.json) printJson(tenant);
    else process.stdout.write(`tenant created: ${tenant.slug} (${tenant.id}), issuer ${tenant.issuer}\n`);
    return 0;
  });
}

export function tenantsListCommand(options: { json?: boolean }): Promise<number> {
  return withServices(async (services) => {
    const tenants = await admin(services).list();
    if (options.json) {
      printJson({ tenants });
      return 0;
    }
    const rows = tenants.map((t) => [t.slug, t.name, t.id]);
    process.stdout.write(`${formatTable(['SLUG', 'NAME', 'ID'], rows).join('\n')}\n`);
    return 0;
  });
}

export function tenantsGetCommand(tenant: string, options: { json?: boolean }): Promise<number> {
  return withServices(async (services) => {
    const found = await admin(services).get((await resolveTenant(services, tenant)).id);
    if (options.json) printJson(found);
    else printTenant(found);
    return 0;
  });
}

export interface TenantsUpdateOptions {
  name?: string;
  settings?: string;
  signUp?: string;
  passwordSignIn?: string;
  json?: boolean;
}

export function tenantsUpdateCommand(tenant: string, options: TenantsUpdateOptions): Promise<number> {
  return withServices(async (services) => {
    const settings = (parseSettings(options.settings) ?? {}) as Record<string, unknown>;
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
      throw new CliError('--settings must be a JSON object', 2);
    const signUp = onOff('--sign-up', options.signUp);
    const password = onOff('--password-sign-in', options.passwordSignIn);
    if (signUp !== undefined) settings.sign_up = { enabled: signUp };
    if (password !== undefined) settings.sign_in = { password };
    const target = await resolveTenant(services, tenant);
    const updated = await admin(services).update(
      target.id,
      {
        name: options.name,
        settings: Object.keys(settings).length > 0 ? settings : undefined,
      },
      { via: 'cli' },
    );
    if (options.json) printJson(updated);
    else printTenant(updated);
    return 0;
  });
}

export function tenantsDeleteCommand(
  tenant: string,
  options: { force?: boolean; json?: boolean },
): Promise<number> {
  return withServices(async (services) => {
    const target = await resolveTenant(services, tenant);
    const deleted = await admin(services).delete(
      target.id,
      { force: options.force === true },
      { via: 'cli' },
    );
    if (options.json) printJson(deleted);
    else
      process.stdout.write(
        `tenant deleted: ${deleted.slug} (${deleted.id}), with ${deleted.users_deleted} user(s)\n`,
      );
    return 0;
  });
}

export interface AuditOptions {
  tenant: string;
  type?: string;
  user?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: string;
  json?: boolean;
}

function auditQuery(options: AuditOptions): AuditQuery {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !Number.isSafeInteger(limit)) throw new CliError('--limit must be a number', 2);
  return {
    type: options.type,
    userId: options.user,
    from: options.from,
    to: options.to,
    cursor: options.cursor,
    limit,
  };
}

export function auditListCommand(options: AuditOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const page = await services.auditLog.page(tenant, auditQuery(options));
    if (options.json) {
      printJson(page);
      return 0;
    }
    const rows = page.events.map((e) => [e.id, e.created_at, e.type, e.user_id ?? '-', e.ip ?? '-']);
    process.stdout.write(`${formatTable(['ID', 'TIME', 'TYPE', 'USER', 'IP'], rows).join('\n')}\n`);
    if (page.next_cursor) process.stdout.write(`more: --cursor ${page.next_cursor}\n`);
    return 0;
  });
}

/** Every matching event as NDJSON on standard output (--json is accepted: the output is JSON anyway). */
export function auditExportCommand(options: AuditOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const { type, userId, from, to } = auditQuery(options);
    for await (const event of services.auditLog.export(tenant, { type, userId, from, to })) {
      if (!process.stdout.write(`${JSON.stringify(event)}\n`))
        await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
    return 0;
  });
}
