// `hellojohn admin create|list-tokens|revoke-token`: operators of the installation and their admin API keys.
import type { AdminKeyScope } from '../admin/admins.js';
import { parseDuration } from '../config/parse.js';
import { CliError } from './context.js';
import { printJson, withServices } from './management.js';
import { readSecret } from './prompt.js';
import { formatTable } from './table.js';

export interface AdminCreateOptions {
  email: string;
  name?: string;
  scope?: AdminKeyScope;
  tenant?: string;
  expiresIn?: string;
  json?: boolean;
  /** Also the admin's console account (its password asked, or read from standard input). */
  console?: boolean;
}

export function adminCreateCommand(options: AdminCreateOptions): Promise<number> {
  if ((options.scope === 'tenant') !== (options.tenant !== undefined))
    return Promise.reject(new CliError('--tenant goes with --scope tenant, and only with it', 2));
  let expiresIn: number | undefined;
  if (options.expiresIn !== undefined) {
    const ms = parseDuration(options.expiresIn);
    if (ms === undefined)
      return Promise.reject(
        new CliError(`--expires-in: "${options.expiresIn}" is not a duration (90d, 12h)`, 2),
      );
    expiresIn = Math.floor(ms / 1000);
  }
  return (async () => {
    // Read before anything is written: a cancelled prompt leaves nothing half made.
    const password = options.console ? await readSecret('password') : undefined;
    return withServices(async ({ admins, modules }) => {
      let account: { created: boolean; userId: string; consoleUrl: string } | undefined;
      if (password !== undefined) {
        const accounts = modules.find(({ parts }) => parts.operatorAccounts)?.parts.operatorAccounts;
        if (!accounts) throw new CliError('this build has no admin console');
        // First: a password the policy refuses leaves no admin or key behind.
        account = await accounts.create(options.email, password);
      }
      const created = await admins.create(options.email, {
        name: options.name ?? 'cli',
        scope: options.scope,
        tenant: options.tenant,
        expiresIn,
      });
      if (options.json) {
        printJson({
          admin_id: created.adminId,
          email: created.email,
          token: created.token,
          token_id: created.tokenId,
          scope: created.scope,
          tenant: created.tenant,
          expires_at: created.expiresAt?.toISOString() ?? null,
          ...(account
            ? {
                console: {
                  user_id: account.userId,
                  created: account.created,
                  url: account.consoleUrl,
                },
              }
            : {}),
        });
        return 0;
      }
      const limits =
        created.scope === 'read_only'
          ? ' (read only)'
          : created.scope === 'tenant'
            ? ` (tenant ${created.tenant} only)`
            : '';
      const expiry = created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : '';
      process.stdout.write(
        `${created.created ? 'admin created' : 'existing admin'}: ${created.email} (${created.adminId})\n` +
          `admin API key${limits} (id ${created.tokenId}${expiry}):\n  ${created.token}\n\n` +
          'Store this key now: it is shown only once and cannot be retrieved later. ' +
          'Send it as `X-API-Key: <key>` or `Authorization: Bearer <key>` to /v2/admin.\n',
      );
      if (account)
        process.stdout.write(
          `\n${account.created ? 'console account created' : 'existing console account kept (password unchanged), admin role given'}: ${created.email}\n` +
            `sign in to the admin console at ${account.consoleUrl}\n`,
        );
      return 0;
    });
  })();
}

export function adminListTokensCommand(options: { json?: boolean }): Promise<number> {
  return withServices(async ({ admins }) => {
    const keys = await admins.list();
    if (options.json) {
      printJson({ api_keys: keys });
      return 0;
    }
    const rows = keys.map((k) => [
      k.id,
      k.hint ? `${k.hint}…` : '-',
      k.scope + (k.tenant ? `:${k.tenant}` : ''),
      k.name,
      k.admin_email,
      k.expires_at ?? 'never',
      k.last_used_at ?? 'never',
    ]);
    const header = ['ID', 'KEY', 'SCOPE', 'NAME', 'ADMIN', 'EXPIRES', 'LAST USED'];
    process.stdout.write(`${formatTable(header, rows).join('\n')}\n`);
    return 0;
  });
}

export function adminRevokeTokenCommand(tokenId: string, options: { json?: boolean }): Promise<number> {
  return withServices(async ({ admins }) => {
    const revoked = await admins.revoke(tokenId);
    if (!revoked) throw new CliError(`no live admin API key with id ${tokenId}`);
    if (options.json) printJson({ token_id: tokenId, revoked: true });
    else process.stdout.write(`admin API key ${tokenId} revoked\n`);
    return 0;
  });
}
