// Authenticator apps (RFC 6238 TOTP through `otpauth`): a 160-bit seed sealed at rest, an otpauth:// URI
// and its QR code (SVG, `qrcode`) to enrol, the first code to confirm. A code is accepted once: the
// time step it proves is recorded in the same UPDATE that accepts it, and no step at or before it passes.
import { Secret, TOTP } from 'otpauth';
import type { MfaConfig } from '../../config.js';
import { open, seal } from '../../crypto/secretbox.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import type { UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { Enrollment, FactorPassed, SecondFactor } from '../../kernel/authentication.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { Tenant } from '../../tenants/tenants.js';
import { mfaEvents } from './events.js';
import type { FactorRecord, ManagedFactor } from './factors.js';
import {
  acceptTotpStep,
  deleteTotp,
  findTotp,
  savePendingTotp,
  totpEnrolledSql,
  type TotpRow,
} from './repository.js';

const SECRET_BYTES = 20;

export interface TotpDeps {
  db: Database;
  config: MfaConfig;
  secretboxMasterKey: Buffer;
  /** Whether the user has a confirmed factor that is not a fallback (of any kind): enrolling stops there. */
  hasConfirmedFactor: (tenant: Tenant, userId: string) => Promise<boolean>;
  /** Recovery codes to hand out with a user's first factor (none when the user has them already). */
  firstFactorRecoveryCodes: (tenant: Tenant, userId: string) => Promise<string[] | undefined>;
}

export class TotpFactor implements SecondFactor, ManagedFactor {
  readonly id = 'totp';
  readonly label = 'Authenticator app';
  readonly prompt = 'The code from your authenticator app';
  readonly amr = 'otp';
  readonly enrolledSql = totpEnrolledSql;

  constructor(private readonly deps: TotpDeps) {}

  get factor(): SecondFactor {
    return this;
  }

  async enrolled(tenant: Tenant, user: UserRow): Promise<boolean> {
    return (await findTotp(this.deps.db, tenant.id, user.id))?.confirmed_at != null;
  }

  /**
   * A new pending TOTP for the user (replacing a pending one), with what an authenticator app needs. A
   * user who has no factor yet also gets the recovery codes, shown this once, usable once it is confirmed
   * (`recoveryCodes: false`: not now; the account page hands them out once the app is confirmed).
   */
  async beginEnrollment(
    tenant: Tenant,
    user: UserRow,
    meta?: RequestMeta,
    options: { recoveryCodes?: boolean } = {},
  ): Promise<Enrollment> {
    const { config, db } = this.deps;
    const secret = new Secret({ size: SECRET_BYTES });
    const saved = await savePendingTotp(db, tenant.id, user.id, {
      secretSealed: seal(this.deps.secretboxMasterKey, Buffer.from(secret.bytes), aad(tenant, user.id)),
      digits: config.totpDigits,
      period: config.totpPeriodSeconds,
    });
    if (!saved)
      throw new HelloJohnError(
        'conflict',
        'An authenticator app is already set up; remove it before setting up another one.',
      );
    const totp = this.totp(tenant, user, secret, saved);
    const uri = totp.toString();
    const recoveryCodes =
      options.recoveryCodes === false ? undefined : await this.deps.firstFactorRecoveryCodes(tenant, user.id);
    await insertAuditEvent(db, {
      tenantId: tenant.id,
      type: mfaEvents.totpEnrollmentStarted,
      userId: user.id,
      ...(meta ? auditMeta(meta) : {}),
    });
    return {
      uri,
      qrSvg: await (
        await import('qrcode')
      ).default.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }),
      secret: secret.base32,
      ...(recoveryCodes ? { recoveryCodes } : {}),
    };
  }

  /** The second step: a confirmed TOTP's code, or (`enrolling`) the first code of the pending one. */
  async verify(
    tenant: Tenant,
    user: UserRow,
    code: string,
    meta: RequestMeta,
    context: { enrolling: boolean },
  ): Promise<FactorPassed | null> {
    // During a sign-in a pending TOTP is confirmed only where enrolling is allowed, and never beside a
    // confirmed factor: a password alone must not add a factor to an account that has one.
    const mayConfirm = async () =>
      context.enrolling && !(await this.deps.hasConfirmedFactor(tenant, user.id));
    return (await this.check(tenant, user, code, meta, mayConfirm)) ? {} : null;
  }

  /** The account API (a signed-in user): the first code confirms the pending TOTP. */
  confirm(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<boolean> {
    return this.check(tenant, user, code, meta, async () => true, true);
  }

  private async check(
    tenant: Tenant,
    user: UserRow,
    code: string,
    meta: RequestMeta,
    mayConfirm: () => Promise<boolean>,
    pendingOnly = false,
  ): Promise<boolean> {
    const row = await findTotp(this.deps.db, tenant.id, user.id);
    if (!row) return false;
    const confirming = row.confirmed_at === null;
    if (pendingOnly && !confirming)
      throw new HelloJohnError('conflict', 'The authenticator app is already set up.');
    if (confirming && !(await mayConfirm())) return false;
    const step = this.acceptedStep(tenant, user, row, code);
    if (step === null) return false;
    const accepted = await acceptTotpStep(this.deps.db, tenant.id, user.id, row.id, step, confirming);
    if (!accepted) {
      // The right code, already used (or an older one after it): a replay, or two requests racing.
      await insertAuditEvent(this.deps.db, {
        tenantId: tenant.id,
        type: mfaEvents.totpReplayRefused,
        userId: user.id,
        ...auditMeta(meta),
      });
      return false;
    }
    if (confirming)
      await insertAuditEvent(this.deps.db, {
        tenantId: tenant.id,
        type: mfaEvents.totpEnrolled,
        userId: user.id,
        ...auditMeta(meta),
      });
    return true;
  }

  async list(db: Queryable, tenant: Tenant, userId: string): Promise<FactorRecord[]> {
    const row = await findTotp(db, tenant.id, userId);
    if (!row?.confirmed_at) return [];
    return [
      {
        id: row.id,
        type: this.id,
        label: this.label,
        createdAt: row.confirmed_at,
        lastUsedAt: row.last_used_at,
      },
    ];
  }

  remove(db: Queryable, tenant: Tenant, userId: string, id: string): Promise<boolean> {
    return deleteTotp(db, tenant.id, userId, id);
  }

  async removeAll(db: Queryable, tenant: Tenant, userId: string): Promise<void> {
    await deleteTotp(db, tenant.id, userId);
  }

  /** The time step `code` proves within the window, or null. */
  private acceptedStep(tenant: Tenant, user: UserRow, row: TotpRow, code: string): number | null {
    const token = code.replace(/[\s-]/g, '');
    if (!new RegExp(`^\\d{${row.digits}}$`).test(token)) return null;
    const seed = open(this.deps.secretboxMasterKey, row.secret_sealed, aad(tenant, user.id));
    const secret = new Secret({ buffer: Uint8Array.from(seed).buffer });
    const totp = this.totp(tenant, user, secret, row);
    const now = Date.now();
    // otpauth compares in constant time; the delta says which step of the window matched.
    const delta = totp.validate({ token, timestamp: now, window: this.deps.config.totpWindow });
    return delta === null ? null : totp.counter({ timestamp: now }) + delta;
  }

  private totp(tenant: Tenant, user: UserRow, secret: Secret, row: Pick<TotpRow, 'digits' | 'period'>): TOTP {
    return new TOTP({
      issuer: this.deps.config.totpIssuer ?? tenant.name,
      label: user.email,
      algorithm: 'SHA1',
      digits: row.digits,
      period: row.period,
      secret,
    });
  }
}

/** Binds a sealed seed to its tenant and user: copied to another row, it does not open. */
function aad(tenant: Tenant, userId: string): string {
  return `hellojohn:mfa-totp:${tenant.id}:${userId}`;
}
