// `hellojohn users create`: an account made by an operator, with the same checks as registration.
import { readFileSync } from 'node:fs';
import { WeakPasswordError } from '../auth/password-policy.js';
import { HelloJohnError } from '../errors.js';
import { CliError } from './context.js';
import { printJson, resolveTenant, withServices } from './management.js';

export interface UsersCreateOptions {
  tenant: string;
  email: string;
  /** `-` reads the password from the first line of standard input (keeps it out of `ps`). */
  password: string;
  name?: string;
  verified?: boolean;
  json?: boolean;
}

export function usersCreateCommand(options: UsersCreateOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const password = options.password === '-' ? readStdinLine() : options.password;
    const users = services.users;
    let user;
    try {
      user = await users.createUser(
        tenant,
        { email: options.email, password, name: options.name ?? null, verified: options.verified === true },
        { via: 'cli' },
      );
    } catch (error) {
      if (error instanceof WeakPasswordError) {
        throw new CliError(
          `the password does not meet the policy of tenant "${tenant.slug}": ${error.violations
            .map((v) => `${v.code} (${v.message})`)
            .join('; ')}`,
        );
      }
      if (error instanceof HelloJohnError && error.code === 'email_taken') {
        throw new CliError(
          `a user with the email ${options.email.trim()} already exists in tenant "${tenant.slug}"`,
        );
      }
      throw error;
    }
    if (options.json) printJson(user);
    else
      process.stdout.write(
        `user created in tenant "${tenant.slug}": ${user.id} ${user.email}${user.email_verified ? ' (verified)' : ''}\n`,
      );
    return 0;
  });
}

function readStdinLine(): string {
  const line = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new CliError('--password -: nothing was read from standard input', 2);
  return line;
}
