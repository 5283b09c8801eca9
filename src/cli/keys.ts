import { resolveMasterKeys } from '../crypto/master-keys.js';
import { KeyStore } from '../keys/key-store.js';
import { Tenants } from '../tenants/tenants.js';
import { CliError, commandContext, withDatabase } from './context.js';
import { formatTable } from './table.js';

interface KeysOptions {
  tenant?: string;
  json?: boolean;
}

async function withKeyStore<T>(options: KeysOptions, fn: (keys: KeyStore, tenantId: string) => Promise<T>) {
  const context = commandContext();
  return withDatabase(context, async (db) => {
    const tenants = new Tenants(db, context.config.http.baseUrl);
    const tenant = await tenants.resolve(options.tenant).catch(() => {
      throw new CliError(`no tenant "${options.tenant}"`);
    });
    const masterKeys = resolveMasterKeys(context.config, context.logger);
    return fn(new KeyStore(db, masterKeys.secretbox, context.config.keys.rotationGraceMs), tenant.id);
  });
}

export function keysListCommand(options: KeysOptions): Promise<number> {
  return withKeyStore(options, async (keys, tenantId) => {
    await keys.ensureKeys(tenantId);
    const list = await keys.list(tenantId);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ keys: list }, null, 2)}\n`);
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
  return withKeyStore(options, async (keys, tenantId) => {
    const result = await keys.rotate(tenantId);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(
        `retired: ${result.retired.join(', ') || '(none)'}\ncreated: ${result.created.join(', ')}\n`,
      );
    }
    return 0;
  });
}
