// The admin console's first operator, made at startup when none exists yet (HELLOJOHN_ADMIN_EMAIL and
// HELLOJOHN_ADMIN_PASSWORD, both or neither). The address and password are checked where the account is
// made (the tenant's password policy), not here.
import { ConfigError, type Reader } from './parse.js';

export interface ConsoleConfig {
  /** The console account to create at startup when no console admin exists yet. */
  bootstrapAdmin: { email: string; password: string } | undefined;
}

export function consoleConfig(read: Reader): ConsoleConfig {
  const email = read('HELLOJOHN_ADMIN_EMAIL')?.trim();
  const password = read('HELLOJOHN_ADMIN_PASSWORD');
  if (!email && !password) return { bootstrapAdmin: undefined };
  if (!email) throw new ConfigError('HELLOJOHN_ADMIN_EMAIL', 'is required with HELLOJOHN_ADMIN_PASSWORD');
  if (!password) throw new ConfigError('HELLOJOHN_ADMIN_PASSWORD', 'is required with HELLOJOHN_ADMIN_EMAIL');
  return { bootstrapAdmin: { email, password } };
}
