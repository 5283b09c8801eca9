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
import { publicUser, type PublicUser, type RequestMeta, type TokenResponse } from './public.js';

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
    const row = {
      ...prepareAddress(input.email),
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

  /**
   * An account the person makes through a door an operator opened for their address (an invitation whose
   * emailed link proved it): the address counts as verified, the tenant's sign-up setting does not apply
   * (the operator vouched), and the person's own password passes the tenant's policy (none: they sign in
   * another way; refused when the tenant does not use passwords). Audited `user.registered` with
   * `method`; `within` and the hooks run in its transaction, as `registerVouched`. `email_taken`,
   * `weak_password`, `invalid_request` as `register`.
   */
  async registerVouchedByOperator(
    tenant: Tenant,
    input: { email: string; password: string | null; name?: string | null },
    method: string,
    meta: RequestMeta,
    within?: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    if (input.password !== null && !passwordSignInEnabled(tenant))
      throw new HelloJohnError(
        'access_denied',
        'This tenant does not use passwords (password sign-in is off).',
      );
    const row = { ...(await this.prepareAccount(tenant, input)), emailVerified: true, profile: {} };
    const { user, afterCommit } = await this.deps.db.transaction((tx) =>
      this.create(tx, tenant, row, meta, { method }, within),
    );
    for (const then of afterCommit) then();
    return user;
  }

  /**
   * An account an operator makes (the admin API, `hellojohn users create`): the same checks as a sign-up
   * (email, name, and the tenant's password policy when a password is given; none: the user signs in
   * another way or resets it), the same transaction with every module's userRegistered hook (an address
   * not marked verified gets its verification link), audited as `user.created` with the actor. `within`
   * writes the caller's own rows (metadata) in that transaction. `email_taken`, `weak_password`,
   * `invalid_request` as `register`.
   */
  async registerByAdmin(
    tenant: Tenant,
    input: AdminAccount,
    actor: AdminActor,
    within?: (tx: Queryable, user: UserRow) => Promise<void>,
  ): Promise<UserRow> {
    const prepared = await this.prepareAccount(tenant, input);
    const row = { ...prepared, emailVerified: input.emailVerified === true, profile: input.profile ?? {} };
    const meta = actor.meta ?? { ip: null, userAgent: null };
    const { user, afterCommit } = await this.deps.db.transaction((tx) =>
      this.create(
        tx,
        tenant,
        row,
        meta,
        { via: actor.via, admin_id: actor.adminId ?? null, verified: row.emailVerified },
        within,
        auditEvents.userCreated,
      ),
    );
    for (const then of afterCommit) then();
    return user;
  }

  /** The user, its event, the caller's rows, then the modules' hooks: inside the caller's transaction. */
  /**
   * An account's address, name and, when a password is given, its hash after the tenant's policy (none:
   * the person signs in another way).
   */
  private async prepareAccount(
    tenant: Tenant,
    input: { email: string; name?: string | null; password?: string | null },
  ) {
    return input.password === undefined || input.password === null
      ? { ...prepareAddress(input.email), name: cleanName(input.name), passwordHash: null }
      : await prepareNewUser(this.deps, this.passwordPolicy(tenant), { ...input, password: input.password });
  }

  private async create(
    tx: Queryable,
    tenant: Tenant,
    row: Omit<Parameters<typeof insertUser>[1], 'tenantId'>,
    meta: RequestMeta | { ip: null; userAgent: null },
    data: Record<string, unknown>,
    within?: (tx: Queryable, user: UserRow) => Promise<void>,
    event = auditEvents.userRegistered,
  ): Promise<{ user: UserRow; afterCommit: (() => void)[] }> {
    const user = await insertUser(tx, { tenantId: tenant.id, ...row });
    if (!user) throw new HelloJohnError('email_taken', 'An account with this email address already exists.');
    await insertAuditEvent(tx, {
      tenantId: tenant.id,
      type: event,
      userId: user.id,
      ip: meta.ip,
      userAgent: meta.userAgent,
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

/** An account an operator makes (Registration.registerByAdmin). */
export interface AdminAccount {
  email: string;
  /** Checked against the tenant's policy and hashed; absent or null: no password. */
  password?: string | null;
  name?: string | null;
  /** The operator vouches for the address (no verification mail). */
  emailVerified?: boolean;
  /** Standard claims (users.profile). */
  profile?: Record<string, unknown>;
}

/** Who made a change from the operator's side: the admin API (with the admin) or the CLI. */
export interface AdminActor {
  via: 'admin_api' | 'cli';
  adminId?: string | null;
  meta?: RequestMeta;
}

/** A new account's address: parsed, normalised, with the other keys it may be stored under. */
function prepareAddress(email: string): { email: string; emailNormalized: string; otherKeys: string[] } {
  const address = parseEmailAddress(email);
  if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
  return {
    email: address.display,
    emailNormalized: address.normalized,
    otherKeys: accountKeys(email).filter((key) => key !== address.normalized),
  };
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
