// Creating accounts: self-service registration (with auto-login when configured), the accounts a sign-in
// method makes for a person it vouches for (a social provider's verified address), and the checks every
// new account passes, whoever creates it (registration, the admin API, the CLI). Every account a user makes
// for themselves goes through `Registration`: one transaction with its `user.registered` event and every
// module's userRegistered hook.
import type { Config } from '../config.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import { newOpaqueToken } from '../crypto/tokens.js';
import type { Database, Queryable } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { insertUser, type UserRow } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import { hasControlOrBidi } from '../text-rules.js';
import { auditEvents } from '../audit/events.js';
import type { Authenticator, SecondStepChallenge, UserRegisteredHook } from '../kernel/authentication.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { Tenant } from '../tenants/tenants.js';
import { passwordSignInEnabled, signUpDisabled, signUpEnabled } from '../tenants/settings.js';
import { accountKeys, parseEmailAddress } from './email-address.js';
import { PASSWORD_METHOD } from './identities.js';
import type { Login } from './login.js';
import {
  defaultPolicy,
  policyFor,
  type PasswordPolicy,
  type PasswordPolicyChecker,
  WeakPasswordError,
} from './password-policy.js';
import { auditMeta, publicUser, type PublicUser, type RequestMeta, type TokenResponse } from './public.js';

export interface RegistrationDeps {
  db: Database;
  auth: Pick<Config['auth'], 'registerAutoLogin'>;
  passwords: Config['passwords'];
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
  limits: RequestLimits;
  login: Login;
  /** The method a registration with auto-login signs in with. */
  autoLoginAs: Pick<Authenticator<never>, 'method' | 'amr'>;
  /** What feature modules do when an account is registered (the verification email…), in order. */
  userRegistered: readonly UserRegisteredHook[];
}

export interface NewAccount {
  email: string;
  password: string;
  name?: string | null;
}

/** An account a sign-in method makes for a person whose address it vouches for (no password). */
export interface VouchedAccount {
  /** The address as the method verified it (parsed and normalised here). */
  email: string;
  name?: string | null;
  /** Profile members from the method (a picture's URL). */
  profile?: Record<string, unknown>;
}

export class Registration {
  constructor(private readonly deps: RegistrationDeps) {}

  /**
   * Whether people may create their own accounts here (settings.sign_up; with a password also
   * settings.sign_in.password): the registration page and its link follow it.
   */
  signUpOpen(tenant: Pick<Tenant, 'settings'>, withPassword = true): boolean {
    return signUpEnabled(tenant) && (!withPassword || passwordSignInEnabled(tenant));
  }

  /** signup_disabled when sign-up is off; access_denied for a password account when passwords are off. */
  private checkOpen(tenant: Tenant, withPassword: boolean): void {
    if (!signUpEnabled(tenant)) throw signUpDisabled();
    if (withPassword && !passwordSignInEnabled(tenant))
      throw new HelloJohnError(
        'access_denied',
        'This tenant does not use passwords (password sign-in is off).',
      );
  }

  /** The tenant's active password policy (its settings over the configured defaults). */
  passwordPolicy(tenant: Tenant): PasswordPolicy {
    return policyFor(tenant.settings, defaultPolicy(this.deps.passwords));
  }

  async register(
    tenant: Tenant,
    input: NewAccount,
    meta: RequestMeta,
  ): Promise<{ user: PublicUser; tokens: TokenResponse | null; secondStep: SecondStepChallenge | null }> {
    const { db, login } = this.deps;
    this.checkOpen(tenant, true);
    await this.deps.limits.checkIp('register', meta.ip);
    const prepared = await prepareNewUser(this.deps, this.passwordPolicy(tenant), input);
    // One transaction: a failure part-way (the database going away) leaves no account without its audit
    // event, verification link or session, so nothing is half-written and a retry is not "email taken".
    const refreshToken = this.deps.auth.registerAutoLogin ? newOpaqueToken() : null;
    const signIn = this.deps.autoLoginAs;
    const { user, afterCommit, session, secondStep } = await db.transaction(async (tx) => {
      const { user, afterCommit } = await this.create(
        tx,
        tenant,
        { ...prepared, emailVerified: false },
        meta,
        {
          method: PASSWORD_METHOD,
        },
      );
      // Auto-login goes through the same second-step policy as any sign-in (a tenant that requires MFA
      // has the new user set a factor up before any token).
      const outcome = refreshToken ? await login.afterRegistration(tenant, user, signIn, meta) : null;
      const secondStep = outcome?.kind === 'second_step' ? outcome.challenge : null;
      const session =
        refreshToken && !secondStep
          ? await login.createApiSession(tx, tenant, user, signIn, meta, refreshToken)
          : null;
      return { user, afterCommit, session, secondStep };
    });
    // The email and the access token only once the rows are committed.
    for (const then of afterCommit) then();
    const tokens =
      session && refreshToken ? await login.apiTokens(tenant, user, session, refreshToken) : null;
    return { user: publicUser(user), tokens, secondStep };
  }

  /**
   * An account made by a sign-in method that vouches for the address (`method`: a social provider's id):
   * no password, the address verified. The same transaction as `register`'s: the user, its
   * `user.registered` event (with the method), `within` (the method's own rows, like the linked identity),
   * then every module's userRegistered hook; their after-commit work runs once it is committed. A failure
   * anywhere leaves nothing written. `email_taken` when the address belongs to an account; `invalid_request`
   * for an address or a name registration would refuse. The method's own rate limits apply, not these.
   */
  async registerVouched(
    tenant: Tenant,
    input: VouchedAccount,
    method: string,
    meta: RequestMeta,
    within?: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    this.checkOpen(tenant, false);
    const address = parseEmailAddress(input.email);
    if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
    const row = {
      email: address.display,
      emailNormalized: address.normalized,
      otherKeys: accountKeys(input.email).filter((key) => key !== address.normalized),
      name: cleanName(input.name),
      passwordHash: null,
      emailVerified: true,
      profile: input.profile ?? {},
    };
    const { user, afterCommit } = await this.deps.db.transaction((tx) =>
      this.create(tx, tenant, row, meta, { method }, within),
    );
    for (const then of afterCommit) then();
    return user;
  }

  /** The user, its event, the caller's rows, then the modules' hooks: inside the caller's transaction. */
  private async create(
    tx: Queryable,
    tenant: Tenant,
    row: Omit<Parameters<typeof insertUser>[1], 'tenantId'>,
    meta: RequestMeta,
    data: { method: string },
    within?: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<{ user: UserRow; afterCommit: (() => void)[] }> {
    const user = await insertUser(tx, { tenantId: tenant.id, ...row });
    if (!user) throw new HelloJohnError('email_taken', 'An account with this email address already exists.');
    await insertAuditEvent(tx, {
      tenantId: tenant.id,
      type: auditEvents.userRegistered,
      userId: user.id,
      ...auditMeta(meta),
      data,
    });
    if (within) await within(tx, user);
    const afterCommit: (() => void)[] = [];
    for (const hook of this.deps.userRegistered) {
      const then = await hook(tx, tenant, user);
      if (then) afterCommit.push(then);
    }
    return { user, afterCommit };
  }
}

/**
 * What registration and the admin tools share before inserting an account: a valid email, a clean name, a
 * password that meets `policy` (the breached check included, as configured), and its Argon2id hash.
 */
export async function prepareNewUser(
  deps: { hasher: PasswordHasher; passwordChecker: PasswordPolicyChecker },
  policy: PasswordPolicy,
  input: NewAccount,
): Promise<{
  email: string;
  emailNormalized: string;
  otherKeys: string[];
  name: string | null;
  passwordHash: string;
}> {
  const address = parseEmailAddress(input.email);
  if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
  const name = cleanName(input.name);
  const violations = await deps.passwordChecker.check(input.password, policy, {
    email: address.normalized,
    name: name ?? undefined,
  });
  if (violations.length > 0) throw new WeakPasswordError(violations);
  return {
    email: address.display,
    emailNormalized: address.normalized,
    otherKeys: accountKeys(input.email).filter((key) => key !== address.normalized),
    name,
    passwordHash: await deps.hasher.hash(input.password),
  };
}

/** A person's name as stored: NFC, trimmed, null when empty; control and text-direction characters refused. */
export function cleanName(name: string | null | undefined): string | null {
  const trimmed = name?.normalize('NFC').trim();
  if (!trimmed) return null;
  // Control characters, and bidi overrides that would reorder the text of emails and pages around it.
  if (hasControlOrBidi(trimmed)) {
    throw new HelloJohnError('invalid_request', 'The name contains control or text-direction characters.');
  }
  return trimmed;
}
