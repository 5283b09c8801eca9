// `hellojohn admin create|revoke-token`: operators of the installation and their admin API tokens.
import { CliError } from './context.js';
import { printJson, withServices } from './management.js';

export function adminCreateCommand(options: {
  email: string;
  name?: string;
  json?: boolean;
}): Promise<number> {
  return withServices(async ({ admins }) => {
    const created = await admins.create(options.email, options.name ?? 'cli');
    if (options.json) {
      printJson({
        admin_id: created.adminId,
        email: created.email,
        token: created.token,
        token_id: created.tokenId,
      });
      return 0;
    }
    process.stdout.write(
      `${created.created ? 'admin created' : 'existing admin'}: ${created.email} (${created.adminId})\n` +
        `admin API token (id ${created.tokenId}):\n  ${created.token}\n\n` +
        'Store this token now: it is shown only once and cannot be retrieved later. ' +
        'Send it as `Authorization: Bearer <token>` to /v2/admin.\n',
    );
    return 0;
  });
}

export function adminRevokeTokenCommand(tokenId: string, options: { json?: boolean }): Promise<number> {
  return withServices(async ({ admins }) => {
    const revoked = await admins.revoke(tokenId);
    if (!revoked) throw new CliError(`no live admin token with id ${tokenId}`);
    if (options.json) printJson({ token_id: tokenId, revoked: true });
    else process.stdout.write(`admin token ${tokenId} revoked\n`);
    return 0;
  });
}
