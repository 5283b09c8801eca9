// Sign-in with email and password. Unknown accounts, wrong passwords and accounts without a password
// answer identically and cost one Argon2 verification either way.
import type { PasswordHasher } from '../crypto/passwords.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { findUserByEmailWithFlags, replacePasswordHash, type UserRow } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import { auditEvents } from '../audit/events.js';
import type { Authenticator, SignInProof } from '../kernel/authentication.js';
import type { AuthEvents } from '../observability/metrics.js';
import { RateLimitedError, type LoginAttempt, type LoginLockout } from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { Tenant } from '../tenants/tenants.js';
import { passwordSignInEnabled } from '../tenants/settings.js';
import type { EmailFingerprint } from './audit-fingerprint.js';
import type { EnrolledFactors } from './enrolled-factors.js';
import { accountKeys, normalizedEmail } from './email-address.js';
import { auditMeta, type RequestMeta } from './public.js';

export interface PasswordCredentials {
  email: string;
  password: string;
}

export interface PasswordAuthenticatorDeps {
  db: Database;
  hasher: PasswordHasher;
  limits: RequestLimits;
  lockout: LoginLockout;
  events: AuthEvents;
  /** What failed-login audit events keep of an address that matches no account. */
  emailFingerprint: EmailFingerprint;
  /** The user's second factors, read in the statement that finds the account (one round trip less). */
  enrolledFactors: Pick<EnrolledFactors, 'columns' | 'answer'>;
}

const invalidCredentials = () => new HelloJohnError('invalid_credentials', 'Invalid email or password.');

export class PasswordAuthenticator implements Authenticator<PasswordCredentials> {
  readonly method = 'password';
  readonly amr = ['pwd'];

  constructor(private readonly deps: PasswordAuthenticatorDeps) {}

  enabled(tenant: Tenant): boolean {
    return passwordSignInEnabled(tenant);
  }

  /**
   * Rate limits, lockout, then the password. The attempt holds a point of the address's failure budget
   * and of the account's (the lockout) until its password is checked; a success gives both back, so
   * only failures count. The proof carries the user's ready second factors, read with the account.
   */
  async verify(
    tenant: Tenant,
    input: PasswordCredentials,
    meta: RequestMeta,
  ): Promise<SignInProof & { enrolled: readonly string[] }> {
    const { db, limits, lockout, hasher, events, enrolledFactors } = this.deps;
    // Nothing typed is looked at when the tenant turned passwords off (settings.sign_in.password).
    if (!passwordSignInEnabled(tenant))
      throw new HelloJohnError(
        'access_denied',
        'This tenant does not use passwords (password sign-in is off).',
      );
    await limits.checkIp('login', meta.ip);
    // A refused address can match no account: its attempts share one key, and nothing typed is kept.
    const normalized = normalizedEmail(input.email);
    const accountKey = `${tenant.id}:${normalized ?? 'refused-address'}`;
    const addressHold = await limits.holdFailure(meta.ip);
    let attempt: LoginAttempt;
    try {
      attempt = await lockout.attempt(accountKey);
    } catch (error) {
      await addressHold.giveBack().catch(() => undefined);
      throw error;
    }
    if (attempt.locked) {
      // A refused attempt checks no password, so it spends nothing of the address's budget either.
      await addressHold.giveBack();
      events.login('locked');
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginLocked,
        ...auditMeta(meta),
        data: this.unknownAccount(tenant, normalized),
      });
      throw new RateLimitedError(attempt.retryAfterSeconds);
    }

    let user: UserRow | null;
    let flags: boolean[];
    let ok: boolean;
    try {
      ({ user, flags } = await findUserByEmailWithFlags(
        db,
        tenant.id,
        accountKeys(input.email, normalized),
        enrolledFactors.columns,
      ));
      ok = user?.password_hash
        ? await hasher.verify(user.password_hash, input.password)
        : await hasher.verifyDummy(input.password);
    } catch (error) {
      // No verdict (the database or a hashing thread failed): the attempt gives its failure points back.
      await Promise.all([attempt.abandoned(), addressHold.giveBack()]).catch(() => undefined);
      throw error;
    }
    if (!user || !ok) {
      events.login('failed');
      const state = await attempt.failed();
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginFailed,
        userId: user?.id ?? null,
        ...auditMeta(meta),
        data: { ...(user ? {} : this.unknownAccount(tenant, normalized)), locked: state.locked },
      });
      throw invalidCredentials();
    }
    // A blocked account's attempt stays counted as a failure: a right password does not clear its count.
    if (user.blocked) {
      events.login('blocked');
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginBlocked,
        userId: user.id,
        ...auditMeta(meta),
      });
      throw new HelloJohnError('access_denied', 'This account is blocked.');
    }
    await Promise.all([attempt.succeeded(), addressHold.giveBack()]);
    events.login('ok');
    if (hasher.needsRehash(user.password_hash!)) {
      const rehashed = await hasher.hash(input.password);
      await replacePasswordHash(db, tenant.id, user.id, user.password_hash!, rehashed);
    }
    return { user, amr: this.amr, enrolled: await enrolledFactors.answer(tenant, user, flags) };
  }

  /** Audit data for an attempt on an address without an account: a keyed fingerprint, never the text. */
  private unknownAccount(tenant: Tenant, normalized: string | null): Record<string, unknown> {
    return normalized
      ? { email_fingerprint: this.deps.emailFingerprint.of(tenant.id, normalized) }
      : { email_refused: true };
  }
}
