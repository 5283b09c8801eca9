// Email and SMS codes as second factors, for the MFA module (../index.ts): the factors, the account
// routes that turn them on (the account page's steps are in ./pages.ts, registered with the module's
// pages), migration 11, the audit events and the sweeper job for expired codes. The SMS factor exists
// only when an SMS provider is configured (MFA_SMS_PROVIDER).
import type { FastifyPluginAsync } from 'fastify';
import { createSmsSender } from '../../../infra/sms/index.js';
import type { CoreServices, RouteKit } from '../../../kernel/module.js';
import type { SweeperJob } from '../../../maintenance/sweeper.js';
import type { Tenant } from '../../../tenants/tenants.js';
import type { ManagedFactor } from '../factors.js';
import { CodeAudit } from './code-audit.js';
import { EmailCodeFactor } from './email-factor.js';
import { codeEvents } from './events.js';
import { OneTimeCodes } from './one-time-codes.js';
import { deleteExpiredCodes } from './repository.js';
import { codeFactorRoutes } from './routes.js';
import { HourlyCap } from '../../../security/send-caps.js';
import { CodeFactorEnrollment } from './service.js';
import { SmsCodeFactor } from './sms-factor.js';

export { codesMigration } from './migration.js';
export const codeAuditEvents = Object.values(codeEvents);

export interface CodeFactors {
  /** Email, and SMS when a provider is configured. */
  factors: ManagedFactor[];
  /** Turning them on for a signed-in user (the account API and the account page). */
  enrollment: CodeFactorEnrollment;
  routes: FastifyPluginAsync<{ kit: RouteKit }>;
  sweeperJobs: SweeperJob[];
}

export function setupCodeFactors(
  core: CoreServices,
  /** The tenant's policy: setting up a factor it does not offer is refused (403). */
  requireAllowed: (tenant: Tenant, factor: string) => void,
): CodeFactors {
  const { db, config, rateLimitStore } = core;
  const codes = new OneTimeCodes(db, core.secretboxMasterKey);
  const audit = new CodeAudit(db);
  const email = new EmailCodeFactor({
    db,
    codes,
    config: config.mfaCodes.email,
    outbox: core.outbox,
    cap: new HourlyCap(rateLimitStore, 'mfa-code:email:user'),
    audit,
  });
  const sender = createSmsSender(config.sms, core.logger);
  const sms = sender
    ? new SmsCodeFactor({
        db,
        codes,
        config: config.mfaCodes.sms,
        sender,
        userCap: new HourlyCap(rateLimitStore, 'mfa-code:sms:user'),
        numberCap: new HourlyCap(rateLimitStore, 'mfa-code:sms:number'),
        audit,
      })
    : null;
  const enrollment = new CodeFactorEnrollment(db, email, sms, requireAllowed);
  return {
    factors: sms ? [email, sms] : [email],
    enrollment,
    routes: codeFactorRoutes(enrollment),
    sweeperJobs: [{ name: 'mfa_one_time_codes', run: deleteExpiredCodes }],
  };
}
