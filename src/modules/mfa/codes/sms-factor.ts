// The SMS-code second factor: a number the user proved by typing back a code texted to it, then a code
// texted at each sign-in. Texts cost money and reach a person's phone, so sends are capped per user and
// per number; a send the provider refuses leaves nothing behind (no code, no number).
import type { OneTimeCodeConfig } from '../../../config.js';
import type { Database, Queryable } from '../../../db/database.js';
import type { UserRow } from '../../../db/repositories/users.js';
import { HelloJohnError } from '../../../errors.js';
import { maskPhoneNumber, normalizePhoneNumber, type SmsSender } from '../../../infra/sms/index.js';
import type { RequestMeta } from '../../../auth/public.js';
import type { FactorPassed, SecondFactor } from '../../../kernel/authentication.js';
import type { Tenant } from '../../../tenants/tenants.js';
import type { FactorRecord, ManagedFactor } from '../factors.js';
import type { CodeAudit } from './code-audit.js';
import { wrongCode } from './email-factor.js';
import { codeEvents } from './events.js';
import type { OneTimeCodes } from './one-time-codes.js';
import { record, removeFactor } from './managed.js';
import {
  CODE_FACTOR_ENROLLED_SQL,
  confirmCodeFactor,
  findCodeFactor,
  touchCodeFactor,
  type CodeOwner,
  type CodePurpose,
  codeOwner,
} from './repository.js';
import type { HourlyCap } from '../../../security/send-caps.js';
import { codeText } from './views.js';

export interface SmsCodeFactorDeps {
  db: Database;
  codes: OneTimeCodes;
  config: OneTimeCodeConfig;
  sender: SmsSender;
  /** Texts per user per hour, sign-in and enrolment together. */
  userCap: HourlyCap;
  /** Texts per number per hour, whoever asks: one number cannot be flooded (or billed) through many accounts. */
  numberCap: HourlyCap;
  audit: CodeAudit;
}

export class SmsCodeFactor implements SecondFactor, ManagedFactor {
  readonly id = 'sms';
  readonly label = 'Text message';
  readonly prompt: string;
  /** RFC 8176 §2: "Confirmation using SMS text message to the user at a registered number". */
  readonly amr = 'sms';
  readonly enrolledSql = CODE_FACTOR_ENROLLED_SQL.sms;

  constructor(private readonly deps: SmsCodeFactorDeps) {
    this.prompt = `The ${deps.config.length}-digit code we texted you`;
  }

  async enrolled(tenant: Tenant, user: UserRow): Promise<boolean> {
    return (await findCodeFactor(this.deps.db, ownerOf(tenant, user))) !== null;
  }

  /** Texts a sign-in code to the user's confirmed number. */
  async send(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<{ sentTo: string }> {
    const factor = await findCodeFactor(this.deps.db, ownerOf(tenant, user));
    if (!factor?.phone_number)
      throw new HelloJohnError(
        'invalid_request',
        'No phone number is set up for text codes; add one in your account first.',
      );
    return this.text(tenant, user, factor.phone_number, 'sign_in', meta);
  }

  async verify(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<FactorPassed | null> {
    const owner = ownerOf(tenant, user);
    const factor = await findCodeFactor(this.deps.db, owner);
    if (!factor) return null;
    const check = await this.deps.codes.check(owner, code, this.deps.config.length);
    if (!check.accepted) {
      if (check.exhausted) await this.deps.audit.attemptsExhausted(tenant, user, 'sms', meta);
      return null;
    }
    // A code sent to a number being enrolled, or to the number before it changed, proves nothing here.
    if (check.code.purpose !== 'sign_in' || check.code.phoneNumber !== factor.phone_number) return null;
    await touchCodeFactor(this.deps.db, owner);
    return {};
  }

  /**
   * Setting up (or changing) the number: checks it is a mobile number in E.164 before anything is sent,
   * then texts a code to it. The number becomes the factor's only when the code comes back.
   */
  async startEnrollment(
    tenant: Tenant,
    user: UserRow,
    phoneNumber: string,
    meta: RequestMeta,
  ): Promise<{ sentTo: string }> {
    const number = await normalizePhoneNumber(phoneNumber);
    const sent = await this.text(tenant, user, number, 'enroll', meta);
    await this.deps.audit.write(this.deps.db, tenant, user, codeEvents.smsEnrollmentStarted, meta, {
      channel: 'sms',
      phone: sent.sentTo,
    });
    return sent;
  }

  /** Confirms the number the code was texted to: the factor is on (with that number) from now. */
  async confirmEnrollment(
    tenant: Tenant,
    user: UserRow,
    code: string,
    meta: RequestMeta,
  ): Promise<{ phoneNumber: string }> {
    const owner = ownerOf(tenant, user);
    const check = await this.deps.codes.check(owner, code, this.deps.config.length);
    if (!check.accepted || check.code.purpose !== 'enroll' || !check.code.phoneNumber) {
      if (!check.accepted && check.exhausted)
        await this.deps.audit.attemptsExhausted(tenant, user, 'sms', meta);
      throw wrongCode();
    }
    const number = check.code.phoneNumber;
    const masked = await maskPhoneNumber(number);
    await this.deps.db.transaction(async (tx) => {
      await confirmCodeFactor(tx, owner, number);
      await this.deps.audit.write(tx, tenant, user, codeEvents.smsEnrolled, meta, {
        channel: 'sms',
        phone: masked,
      });
    });
    return { phoneNumber: masked };
  }

  get factor(): SecondFactor {
    return this;
  }

  async list(db: Queryable, tenant: Tenant, userId: string): Promise<FactorRecord[]> {
    const factor = await findCodeFactor(db, codeOwner(tenant, { id: userId }, 'sms'));
    if (!factor?.phone_number) return [];
    return [record(factor, `${this.label} to ${await maskPhoneNumber(factor.phone_number)}`)];
  }

  /** The number is forgotten with the factor. */
  remove(db: Queryable, tenant: Tenant, userId: string, id: string): Promise<boolean> {
    return removeFactor(db, codeOwner(tenant, { id: userId }, 'sms'), id);
  }

  async removeAll(db: Queryable, tenant: Tenant, userId: string): Promise<void> {
    await removeFactor(db, codeOwner(tenant, { id: userId }, 'sms'));
  }

  /**
   * Caps, a fresh code, the text. When the provider fails, the code is withdrawn (no usable code is
   * left), the sends are given back (the user is not charged for our outage), and the failure audited.
   */
  private async text(
    tenant: Tenant,
    user: UserRow,
    number: string,
    purpose: CodePurpose,
    meta: RequestMeta,
  ): Promise<{ sentTo: string }> {
    const { codes, config, sender, userCap, numberCap, audit } = this.deps;
    const sentTo = await maskPhoneNumber(number);
    const userKey = `${tenant.id}:${user.id}`;
    const numberKey = `${tenant.id}:${number}`;
    try {
      await userCap.take(userKey);
      try {
        await numberCap.take(numberKey);
      } catch (error) {
        await userCap.giveBack(userKey);
        throw error;
      }
    } catch (error) {
      await audit.sendFailed(tenant, user, 'sms', meta, error, { purpose, phone: sentTo });
      throw error;
    }
    const owner = ownerOf(tenant, user);
    const issued = await codes.issue(owner, { purpose, phoneNumber: number, config });
    const body = codeText({
      tenantName: tenant.name,
      code: issued.code,
      expiresInMinutes: config.ttlMs / 60_000,
      enrolling: purpose === 'enroll',
      host: new URL(tenant.issuer).host,
    });
    try {
      await sender.send(number, body);
    } catch (error) {
      await Promise.all([
        codes.withdraw(owner, issued),
        userCap.giveBack(userKey),
        numberCap.giveBack(numberKey),
      ]);
      await audit.sendFailed(tenant, user, 'sms', meta, error, { purpose, phone: sentTo });
      throw error;
    }
    await audit.write(this.deps.db, tenant, user, codeEvents.codeSent, meta, {
      channel: 'sms',
      purpose,
      to: sentTo,
    });
    return { sentTo };
  }
}

const ownerOf = (tenant: Tenant, user: UserRow): CodeOwner => codeOwner(tenant, user, 'sms');
