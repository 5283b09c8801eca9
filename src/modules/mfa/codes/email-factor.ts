// The email-code second factor: a code mailed to the account's address. The user turns it on explicitly
// (a code mailed now, typed back), as with Auth0 and Logto; a sign-in that requires a second factor from
// a user without one may turn it on too (the code of that sign-in, verified with `enrolling`).
import type { OneTimeCodeConfig } from '../../../config.js';
import type { Database, Queryable } from '../../../db/database.js';
import type { UserRow } from '../../../db/repositories/users.js';
import { HelloJohnError } from '../../../errors.js';
import type { RequestMeta } from '../../../auth/public.js';
import type { Enrollment, FactorPassed, SecondFactor } from '../../../kernel/authentication.js';
import type { MailOutbox } from '../../../mail/outbox.js';
import type { Tenant } from '../../../tenants/tenants.js';
import type { FactorRecord, ManagedFactor } from '../factors.js';
import type { CodeAudit } from './code-audit.js';
import { codeEvents } from './events.js';
import type { OneTimeCodes } from './one-time-codes.js';
import { record, removeFactor } from './managed.js';
import {
  CODE_FACTOR_ENROLLED_SQL,
  confirmCodeFactor,
  findCodeFactor,
  touchCodeFactor,
  codeOwner,
  type CodeOwner,
} from './repository.js';
import type { HourlyCap } from '../../../security/send-caps.js';
import { codeEmail } from './views.js';

export interface EmailCodeFactorDeps {
  db: Database;
  codes: OneTimeCodes;
  config: OneTimeCodeConfig;
  outbox: MailOutbox;
  /** Sends per user per hour, sign-in and enrolment together. */
  cap: HourlyCap;
  audit: CodeAudit;
}

export class EmailCodeFactor implements SecondFactor, ManagedFactor {
  readonly id = 'email';
  readonly label = 'Email code';
  readonly prompt: string;
  /** RFC 8176 has no value for email: a code mailed once is a one-time password. */
  readonly amr = 'otp';
  readonly enrolledSql = CODE_FACTOR_ENROLLED_SQL.email;

  constructor(private readonly deps: EmailCodeFactorDeps) {
    this.prompt = `The ${deps.config.length}-digit code we emailed you`;
  }

  async enrolled(tenant: Tenant, user: UserRow): Promise<boolean> {
    return (await findCodeFactor(this.deps.db, ownerOf(tenant, user))) !== null;
  }

  /**
   * Email codes can be set up during a sign-in that requires a second factor: there is nothing to show
   * (the address is the account's); `send` mails the code, and `verify` with `enrolling` turns it on.
   */
  beginEnrollment(): Promise<Enrollment> {
    return Promise.resolve({});
  }

  /** The sign-in code (also the one that turns the factor on during an `enroll` sign-in). */
  send(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<{ sentTo: string }> {
    return this.mail(tenant, user, 'sign_in', meta);
  }

  async verify(
    tenant: Tenant,
    user: UserRow,
    code: string,
    meta: RequestMeta,
    context: { enrolling: boolean },
  ): Promise<FactorPassed | null> {
    const owner = ownerOf(tenant, user);
    const enrolled = await findCodeFactor(this.deps.db, owner);
    if (!enrolled && !context.enrolling) return null;
    const check = await this.deps.codes.check(owner, code, this.deps.config.length);
    if (!check.accepted) {
      if (check.exhausted) await this.deps.audit.attemptsExhausted(tenant, user, 'email', meta);
      return null;
    }
    if (check.code.purpose !== 'sign_in') return null;
    if (enrolled) await touchCodeFactor(this.deps.db, owner);
    else await this.confirm(tenant, user, meta);
    return {};
  }

  /** Turning the factor on for a signed-in user: mails a code to type back (confirmEnrollment). */
  startEnrollment(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<{ sentTo: string }> {
    return this.mail(tenant, user, 'enroll', meta);
  }

  async confirmEnrollment(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<void> {
    const owner = ownerOf(tenant, user);
    const check = await this.deps.codes.check(owner, code, this.deps.config.length);
    if (!check.accepted || check.code.purpose !== 'enroll') {
      if (!check.accepted && check.exhausted)
        await this.deps.audit.attemptsExhausted(tenant, user, 'email', meta);
      throw wrongCode();
    }
    await this.confirm(tenant, user, meta);
  }

  get factor(): SecondFactor {
    return this;
  }

  async list(db: Queryable, tenant: Tenant, userId: string): Promise<FactorRecord[]> {
    const factor = await findCodeFactor(db, codeOwner(tenant, { id: userId }, 'email'));
    return factor ? [record(factor, this.label)] : [];
  }

  remove(db: Queryable, tenant: Tenant, userId: string, id: string): Promise<boolean> {
    return removeFactor(db, codeOwner(tenant, { id: userId }, 'email'), id);
  }

  async removeAll(db: Queryable, tenant: Tenant, userId: string): Promise<void> {
    await removeFactor(db, codeOwner(tenant, { id: userId }, 'email'));
  }

  private async confirm(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      await confirmCodeFactor(tx, ownerOf(tenant, user), null);
      await this.deps.audit.write(tx, tenant, user, codeEvents.emailEnrolled, meta, { channel: 'email' });
    });
  }

  private async mail(
    tenant: Tenant,
    user: UserRow,
    purpose: 'sign_in' | 'enroll',
    meta: RequestMeta,
  ): Promise<{ sentTo: string }> {
    const { codes, config, outbox, cap, audit } = this.deps;
    const owner = ownerOf(tenant, user);
    try {
      await cap.take(`${tenant.id}:${user.id}`);
    } catch (error) {
      await audit.sendFailed(tenant, user, 'email', meta, error);
      throw error;
    }
    const issued = await codes.issue(owner, { purpose, phoneNumber: null, config });
    const sentTo = maskEmail(user.email_normalized);
    await audit.write(this.deps.db, tenant, user, codeEvents.codeSent, meta, {
      channel: 'email',
      purpose,
      to: sentTo,
    });
    // Mail is delivered in the background (the outbox retries); a delivery that fails for good is logged.
    outbox.enqueue({
      to: user.email_normalized,
      kind: purpose === 'enroll' ? 'mfa_email_enroll' : 'mfa_email_code',
      tenant,
      ...codeEmail({
        tenantName: tenant.name,
        code: issued.code,
        expiresInMinutes: config.ttlMs / 60_000,
        enrolling: purpose === 'enroll',
      }),
    });
    return { sentTo };
  }
}

export const wrongCode = () => new HelloJohnError('invalid_credentials', 'The code is not correct.');

const ownerOf = (tenant: Tenant, user: UserRow): CodeOwner => codeOwner(tenant, user, 'email');

/** `jane@example.com` → `j•••@example.com`: enough to recognise one's own address, not to learn someone's. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${[...address.slice(0, at)][0]}•••${address.slice(at)}`;
}
