// Tenants as the operator manages them (the admin API and the `hellojohn tenants` commands): created,
// listed, read, changed (name and the core's settings, src/tenants/settings.ts) and deleted. Every change is
// audited with its actor and announced on the invalidation bus, so every instance applies it at once.
import type { Database } from '../db/database.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import {
  countTenantUsers,
  createTenant,
  deleteTenantRow,
  findTenantDetail,
  listTenantDetails,
  listTenants,
  lockTenantSettings,
  updateTenant,
  type TenantDetailRow,
  type TenantRow,
} from '../db/repositories/tenants.js';
import { HelloJohnError } from '../errors.js';
import { hasControlOrBidi } from '../text-rules.js';
import { DEFAULT_TENANT, type Tenant, type Tenants } from '../tenants/tenants.js';
import {
  CORE_SETTINGS,
  passwordSignInEnabled,
  signUpEnabled,
  validateSettingsPatch,
  type SettingsPatch,
} from '../tenants/settings.js';
import { smtpJson, smtpToStore } from '../tenants/smtp.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface TenantJson {
  id: string;
  slug: string;
  name: string;
}

export async function createTenantChecked(
  db: Database,
  input: { slug: string; name: string },
  actor: TenantActor = { via: 'cli' },
): Promise<TenantJson> {
  const slug = input.slug;
  if (typeof slug !== 'string' || !SLUG.test(slug)) {
    throw new HelloJohnError(
      'invalid_request',
      'The slug must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen.',
    );
  }
  const name = checkedName(input.name);
  return db.transaction(async (tx) => {
    const row = await createTenant(tx, slug, name);
    if (!row) throw new HelloJohnError('conflict', `A tenant with the slug "${slug}" already exists.`);
    await insertAuditEvent(tx, {
      tenantId: row.id,
      type: auditEvents.tenantCreated,
      ...actorMeta(actor),
      data: { slug, ...actorData(actor) },
    });
    return tenantJson(row);
  });
}

export async function listAllTenants(db: Database): Promise<TenantJson[]> {
  return (await listTenants(db)).map(tenantJson);
}

function tenantJson(row: TenantRow): TenantJson {
  return { id: row.id, slug: row.slug, name: row.name };
}

function checkedName(value: unknown): string {
  const name = typeof value === 'string' ? value.normalize('NFC').trim() : '';
  if ([...name].length < 1 || [...name].length > 200 || hasControlOrBidi(name)) {
    throw new HelloJohnError(
      'invalid_request',
      'The name must be 1 to 200 characters, without control characters.',
    );
  }
  return name;
}

export interface TenantActor {
  /** `internal`: the server itself (the admin console's setup at startup). */
  via: 'cli' | 'admin_api' | 'internal';
  /**
   * Whether the installation's operator acts (a full admin key, or the CLI): only they may point a tenant's
   * mail at a server (smtp), since the server connects wherever it names, internal relays included.
   */
  operator?: boolean;
  adminId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** A tenant as the admin API and `tenants get --json` show it. */
export interface TenantDetailJson {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  /** The core's settings as stored (absent members: the defaults). */
  settings: Partial<Record<(typeof CORE_SETTINGS)[number], Record<string, unknown>>>;
  /** What is in effect for the switches, defaults included. */
  effective: { sign_up_enabled: boolean; password_sign_in: boolean };
  /** Members of the settings a feature module owns (`passkeys`, `mfa`, `social`...): see its admin routes. */
  module_settings: string[];
  created_at: string;
  updated_at: string;
}

export interface TenantChange {
  name?: string;
  settings?: SettingsPatch;
}

/** The operator's tenant management: the admin API and the CLI share it. */
export class TenantAdmin {
  constructor(
    private readonly db: Database,
    private readonly tenants: Tenants,
    /** Seals the secrets settings carry (the SMTP password). */
    private readonly secretboxMasterKey: Buffer,
  ) {}

  async list(): Promise<TenantDetailJson[]> {
    return (await listTenantDetails(this.db)).map((row) => this.json(row));
  }

  async get(slugOrId: string): Promise<TenantDetailJson> {
    return this.json(await this.detail(await this.tenants.resolve(slugOrId)));
  }

  async create(
    input: { slug: string; name: string; settings?: SettingsPatch },
    actor: TenantActor,
  ): Promise<TenantDetailJson> {
    const settings = input.settings ? validateSettingsPatch(input.settings) : undefined;
    if (settings) operatorOnly(settings, actor);
    const created = await createTenantChecked(this.db, input, actor);
    if (settings && Object.keys(settings).length > 0) {
      const row = await updateTenant(this.db, created.id, split(this.sealed(created.id, settings, {})));
      if (row) {
        await this.tenants.changed(row.id);
        return this.json(row);
      }
    }
    return this.get(created.id);
  }

  async update(slugOrId: string, change: TenantChange, actor: TenantActor): Promise<TenantDetailJson> {
    const tenant = await this.tenants.resolve(slugOrId);
    const name = change.name === undefined ? undefined : checkedName(change.name);
    const settings = validateSettingsPatch(change.settings ?? {});
    operatorOnly(settings, actor);
    const changed = Object.keys(settings);
    if (name === undefined && changed.length === 0)
      throw new HelloJohnError('invalid_request', 'Nothing to change: give a name or settings.');
    const row = await this.db.transaction(async (tx) => {
      // The stored SMTP password is kept when the change leaves it out: read under the row's lock.
      const stored = settings.smtp ? ((await lockTenantSettings(tx, tenant.id)) ?? {}) : {};
      const toStore = this.sealed(tenant.id, settings, stored);
      const row = await updateTenant(tx, tenant.id, { ...split(toStore), name });
      if (!row) throw new HelloJohnError('not_found', 'Unknown tenant.');
      // The names of what changed, not the values: a CSS text or a list of origins says nothing about a
      // person, but the trail should stay small and the values are in the tenant's row.
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: auditEvents.tenantUpdated,
        ...actorMeta(actor),
        data: { ...(name !== undefined ? { name } : {}), settings: changed, ...actorData(actor) },
      });
      return row;
    });
    await this.tenants.changed(tenant.id);
    return this.json(row);
  }

  /**
   * Deletes a tenant and every row of it. The default tenant never; a tenant with users only with
   * `force` (conflict otherwise, naming how many). The event goes to the default tenant's trail, since
   * the tenant's own is deleted with it.
   */
  async delete(
    slugOrId: string,
    options: { force: boolean },
    actor: TenantActor,
  ): Promise<{ id: string; slug: string; users_deleted: number }> {
    const tenant = await this.tenants.resolve(slugOrId);
    if (tenant.slug === DEFAULT_TENANT)
      throw new HelloJohnError('conflict', 'The default tenant cannot be deleted.');
    const home = await this.tenants.resolve(DEFAULT_TENANT);
    const users = await this.db.transaction(async (tx) => {
      const users = await countTenantUsers(tx, tenant.id);
      if (users > 0 && !options.force) {
        throw new HelloJohnError(
          'conflict',
          `The tenant "${tenant.slug}" has ${users} user(s); deleting it deletes them and everything of theirs. ` +
            'Confirm with force (?force=true, or --force).',
        );
      }
      if (!(await deleteTenantRow(tx, tenant.id))) throw new HelloJohnError('not_found', 'Unknown tenant.');
      await insertAuditEvent(tx, {
        tenantId: home.id,
        type: auditEvents.tenantDeleted,
        ...actorMeta(actor),
        data: { tenant_id: tenant.id, slug: tenant.slug, users_deleted: users, ...actorData(actor) },
      });
      return users;
    });
    await this.tenants.changed(tenant.id);
    return { id: tenant.id, slug: tenant.slug, users_deleted: users };
  }

  /** The patch as stored: the SMTP password sealed (or the stored one kept). */
  private sealed(tenantId: string, settings: SettingsPatch, stored: Record<string, unknown>): SettingsPatch {
    if (!settings.smtp) return settings;
    return {
      ...settings,
      smtp: smtpToStore(this.secretboxMasterKey, tenantId, settings.smtp, stored.smtp),
    };
  }

  private async detail(tenant: Tenant): Promise<TenantDetailRow> {
    const row = await findTenantDetail(this.db, tenant.id);
    if (!row) throw new HelloJohnError('not_found', 'Unknown tenant.');
    return row;
  }

  private json(row: TenantDetailRow): TenantDetailJson {
    const stored = row.settings ?? {};
    const settings: TenantDetailJson['settings'] = {};
    for (const key of CORE_SETTINGS) {
      const value = stored[key];
      if (typeof value !== 'object' || value === null) continue;
      settings[key] =
        key === 'smtp' ? smtpJson(value as Record<string, unknown>) : (value as Record<string, unknown>);
    }
    const core = new Set<string>(CORE_SETTINGS);
    return {
      id: row.id,
      slug: row.slug,
      name: row.name,
      issuer: this.tenants.issuerFor(row.slug),
      settings,
      effective: {
        sign_up_enabled: signUpEnabled({ settings: stored }),
        password_sign_in: passwordSignInEnabled({ settings: stored }),
      },
      module_settings: Object.keys(stored)
        .filter((key) => !core.has(key))
        .sort(),
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
    };
  }
}

function operatorOnly(settings: SettingsPatch, actor: TenantActor): void {
  if (settings.smtp !== undefined && actor.via === 'admin_api' && actor.operator !== true)
    throw new HelloJohnError(
      'access_denied',
      "Only the installation's operators (a full admin key) may change a tenant's SMTP server.",
    );
}

function split(settings: SettingsPatch): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === null) remove.push(key);
    else set[key] = value;
  }
  return { set, remove };
}

function actorMeta(actor: TenantActor): { ip?: string | null; userAgent?: string | null } {
  return { ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

function actorData(actor: TenantActor): { via: string; admin_id: string | null } {
  return { via: actor.via, admin_id: actor.adminId ?? null };
}
