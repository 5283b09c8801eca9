// The signed-in user's side of the email and SMS factors (the account API): turn email codes on, set up
// or change the phone number. Who is asking comes from the bearer token the routes checked.
import type { RequestMeta } from '../../../auth/public.js';
import type { Database } from '../../../db/database.js';
import { findUserById, type UserRow } from '../../../db/repositories/users.js';
import { HelloJohnError } from '../../../errors.js';
import type { Tenant } from '../../../tenants/tenants.js';
import { InvalidTokenError } from '../../../tokens/access-tokens.js';
import type { EmailCodeFactor } from './email-factor.js';
import type { SmsCodeFactor } from './sms-factor.js';

export class CodeFactorEnrollment {
  constructor(
    private readonly db: Database,
    private readonly email: EmailCodeFactor,
    /** Null when no SMS provider is configured. */
    private readonly sms: SmsCodeFactor | null,
    /** Refuses (403) a factor the tenant's MFA policy does not offer (the MFA module's rule). */
    private readonly requireAllowed: (tenant: Tenant, factor: string) => void,
  ) {}

  async sendEmailCode(tenant: Tenant, userId: string, meta: RequestMeta): Promise<{ sentTo: string }> {
    this.requireAllowed(tenant, this.email.id);
    return this.email.startEnrollment(tenant, await this.user(tenant, userId), meta);
  }

  async confirmEmail(tenant: Tenant, userId: string, code: string, meta: RequestMeta): Promise<void> {
    await this.email.confirmEnrollment(tenant, await this.user(tenant, userId), code, meta);
  }

  async sendSmsCode(
    tenant: Tenant,
    userId: string,
    phoneNumber: string,
    meta: RequestMeta,
  ): Promise<{ sentTo: string }> {
    const sms = this.smsFactor();
    this.requireAllowed(tenant, sms.id);
    return sms.startEnrollment(tenant, await this.user(tenant, userId), phoneNumber, meta);
  }

  async confirmSms(
    tenant: Tenant,
    userId: string,
    code: string,
    meta: RequestMeta,
  ): Promise<{ phoneNumber: string }> {
    const sms = this.smsFactor();
    return sms.confirmEnrollment(tenant, await this.user(tenant, userId), code, meta);
  }

  private smsFactor(): SmsCodeFactor {
    if (!this.sms)
      throw new HelloJohnError(
        'invalid_request',
        'Text-message codes are not available: this server has no SMS provider configured.',
      );
    return this.sms;
  }

  /** The token's user; a user deleted or blocked meanwhile is refused like a dead token. */
  private async user(tenant: Tenant, userId: string): Promise<UserRow> {
    const user = await findUserById(this.db, tenant.id, userId);
    if (!user || user.blocked) throw new InvalidTokenError();
    return user;
  }
}
