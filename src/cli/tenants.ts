// `hellojohn tenants create|list`.
import { createTenantChecked, listAllTenants } from '../admin/tenants.js';
import { printJson, withServices } from './management.js';
import { formatTable } from './table.js';

export function tenantsCreateCommand(options: {
  slug: string;
  name: string;
  json?: boolean;
}): Promise<number> {
  return withServices(async ({ db }, context) => {
    const tenant = await createTenantChecked(db, { slug: options.slug, name: options.name }, { via: 'cli' });
    const base = context.config.http.baseUrl.href.replace(/\/$/, '');
    const issuer = `${base}/t/${tenant.slug}`;
    if (options.json) printJson({ ...tenant, issuer });
    else process.stdout.write(`tenant created: ${tenant.slug} (${tenant.id}), issuer ${issuer}\n`);
    return 0;
  });
}

export function tenantsListCommand(options: { json?: boolean }): Promise<number> {
  return withServices(async ({ db }) => {
    const tenants = await listAllTenants(db);
    if (options.json) {
      printJson({ tenants });
      return 0;
    }
    const rows = tenants.map((t) => [t.slug, t.name, t.id]);
    process.stdout.write(`${formatTable(['SLUG', 'NAME', 'ID'], rows).join('\n')}\n`);
    return 0;
  });
}
