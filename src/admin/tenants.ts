// Creating and listing tenants (the `hellojohn tenants` commands). Slugs follow the table's CHECK.
import type { Database } from '../db/database.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { createTenant, listTenants, type TenantRow } from '../db/repositories/tenants.js';
import { HelloJohnError } from '../errors.js';
import { hasControlOrBidi } from '../text-rules.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface TenantJson {
  id: string;
  slug: string;
  name: string;
}

export async function createTenantChecked(
  db: Database,
  input: { slug: string; name: string },
  actor: { via: 'cli' | 'admin_api'; adminId?: string | null } = { via: 'cli' },
): Promise<TenantJson> {
  const slug = input.slug;
  if (typeof slug !== 'string' || !SLUG.test(slug)) {
    throw new HelloJohnError(
      'invalid_request',
      'The slug must be 1 to 63 lowercase letters, digits or hyphens, not starting or ending with a hyphen.',
    );
  }
  const name = typeof input.name === 'string' ? input.name.normalize('NFC').trim() : '';
  if ([...name].length < 1 || [...name].length > 200 || hasControlOrBidi(name)) {
    throw new HelloJohnError(
      'invalid_request',
      'The name must be 1 to 200 characters, without control characters.',
    );
  }
  return db.transaction(async (tx) => {
    const row = await createTenant(tx, slug, name);
    if (!row) throw new HelloJohnError('conflict', `A tenant with the slug "${slug}" already exists.`);
    await insertAuditEvent(tx, {
      tenantId: row.id,
      type: auditEvents.tenantCreated,
      data: { slug, via: actor.via, admin_id: actor.adminId ?? null },
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
