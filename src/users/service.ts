// Account administration (the `hellojohn users` commands): creating a user goes through the core's
// Registration (registerByAdmin): the same checks as a sign-up (email, name, the tenant's password policy
// including the breached check when configured, Argon2id) and every module's userRegistered hook in the
// same transaction, without starting a session. The rest of user administration is the users-admin
// module (src/modules/users-admin/).
import type { AdminActor, Registration } from '../auth/registration.js';
import { publicUser, type PublicUser } from '../auth/public.js';
import type { Tenant } from '../tenants/tenants.js';

export interface UsersAdminDeps {
  registration: Registration;
}

export interface NewUser {
  email: string;
  password: string;
  name?: string | null;
  /** Mark the address as verified (the operator vouches for it). */
  verified?: boolean;
}

export class UsersAdmin {
  constructor(private readonly deps: UsersAdminDeps) {}

  /** Creates a user; `email_taken` when the address exists in the tenant, `weak_password` with the violations. */
  async createUser(tenant: Tenant, input: NewUser, actor: AdminActor = { via: 'cli' }): Promise<PublicUser> {
    const user = await this.deps.registration.registerByAdmin(
      tenant,
      {
        email: input.email,
        password: input.password,
        name: input.name,
        emailVerified: input.verified === true,
      },
      actor,
    );
    return publicUser(user);
  }
}
