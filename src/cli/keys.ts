// `hellojohn keys list|rotate`: a tenant's JWT signing keys. Built from the composition root like the
// server, so a rotation is announced on the invalidation bus (Redis) and every running instance serves
// the new keys at once.
import { printJson, resolveTenant, withServices } from './management.js';
import { formatTable } from './table.js';

interface KeysOptions {
  tenant?: string;
  json?: boolean;
}

export function keysListCommand(options: KeysOptions): Promise<number> {
  return withServices(async (services) => {
    const { keys } = services;
    const tenant = await resolveTenant(services, options.tenant ?? 'default');
    await keys.ensureKeys(tenant.id);
    const list = await keys.list(tenant.id);
    if (options.json) {
      printJson({ keys: list });
      return 0;
    }
    const now = Date.now();
    const rows = list.map((k) => [
      k.kid,
      k.alg,
      k.status === 'active'
        ? 'active'
        : k.expiresAt && k.expiresAt.getTime() > now
          ? 'retired (published)'
          : 'retired',
      k.createdAt.toISOString(),
      k.expiresAt?.toISOString() ?? '-',
    ]);
    const header = ['KID', 'ALG', 'STATUS', 'CREATED', 'LEAVES JWKS'];
    process.stdout.write(`${formatTable(header, rows).join('\n')}\n`);
    return 0;
  });
}

export function keysRotateCommand(options: KeysOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant ?? 'default');
    const result = await services.keys.rotate(tenant.id, { via: 'cli' });
    if (options.json) printJson(result);
    else
      process.stdout.write(
        `retired: ${result.retired.join(', ') || '(none)'}\ncreated: ${result.created.join(', ')}\n`,
      );
    return 0;
  });
}
