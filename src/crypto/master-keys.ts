// The two master keys. In production they come from the environment (config enforces it). In
// development, when unset, they are generated once and kept in DATA_DIR so restarts keep working.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface MasterKeys {
  /** Subkeys for MACs (cookies, interaction state) are derived from it. */
  signing: Buffer;
  /** ChaCha20-Poly1305 key for secrets at rest (signing private keys, SMTP passwords, TOTP seeds...). */
  secretbox: Buffer;
}

export function resolveMasterKeys(
  config: Config,
  logger: Logger,
  /** false: use the development key file if it exists, else throwaway keys; never write one (the CLI). */
  options: { create: boolean } = { create: true },
): MasterKeys {
  const { signingMasterKey, secretboxMasterKey } = config.keys;
  if (signingMasterKey && secretboxMasterKey)
    return { signing: signingMasterKey, secretbox: secretboxMasterKey };

  const file = path.join(config.dataDir, 'master-keys.json');
  if (!options.create && !existsSync(file)) {
    return {
      signing: signingMasterKey ?? randomBytes(32),
      secretbox: secretboxMasterKey ?? randomBytes(32),
    };
  }
  const stored = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { signing?: string; secretbox?: string })
    : {};
  const keys: MasterKeys = {
    signing: signingMasterKey ?? Buffer.from(stored.signing ?? randomBytes(32).toString('hex'), 'hex'),
    secretbox:
      secretboxMasterKey ?? Buffer.from(stored.secretbox ?? randomBytes(32).toString('base64'), 'base64'),
  };
  if (!stored.signing || !stored.secretbox) {
    mkdirSync(config.dataDir, { recursive: true });
    const content = { signing: keys.signing.toString('hex'), secretbox: keys.secretbox.toString('base64') };
    writeFileSync(file, JSON.stringify(content, null, 2), { mode: 0o600 });
  }
  logger.warn(
    `SIGNING_MASTER_KEY / SECRETBOX_MASTER_KEY not set: using development keys from ${file}. ` +
      'Set both in production and back them up: without them encrypted data cannot be read',
  );
  return keys;
}
