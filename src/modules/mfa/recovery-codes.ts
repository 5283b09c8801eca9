// Recovery codes: ten single-use codes for when the authenticator is lost. A fallback: offered at the
// second step beside the user's factors, never preferred, never a factor on its own. Each code carries
// 60 random bits; stored as HMAC-SHA256 under a key derived from the secretbox master key and bound to
// the tenant and user, so neither a database dump nor another account's row can be turned into codes.
import { createHmac, hkdfSync, randomInt } from 'node:crypto';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import type { UserRow } from '../../db/repositories/users.js';
import type { FactorPassed, SecondFactor } from '../../kernel/authentication.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { Tenant } from '../../tenants/tenants.js';
import { mfaEvents } from './events.js';
import type { FactorRecord, ManagedFactor } from './factors.js';
import {
  deleteRecoveryCodes,
  recoveryCodesEnrolledSql,
  recoveryCodeSummary,
  replaceRecoveryCodes,
  useRecoveryCode,
} from './repository.js';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 without the look-alikes: 12 characters are 60 bits. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_CHARS = 12;

export class RecoveryCodes implements SecondFactor, ManagedFactor {
  readonly id = 'recovery_code';
  readonly label = 'Recovery code';
  readonly prompt = 'One of your recovery codes';
  // RFC 8176 has no value for recovery codes; they are pre-generated one-time passwords, so `otp`.
  readonly amr = 'otp';
  readonly fallback = true;
  /** `xxxx-xxxx-xxxx`, letters and digits. */
  readonly codeKind = 'text';
  readonly enrolledSql = recoveryCodesEnrolledSql;
  private readonly key: Buffer;

  constructor(
    private readonly db: Database,
    secretboxMasterKey: Buffer,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretboxMasterKey, '', 'hellojohn recovery codes v1', 32));
  }

  get factor(): SecondFactor {
    return this;
  }

  async enrolled(tenant: Tenant, user: UserRow): Promise<boolean> {
    return (await recoveryCodeSummary(this.db, tenant.id, user.id)).remaining > 0;
  }

  /** New codes for the user, replacing every earlier one; the clear codes are returned this once. */
  async generate(db: Queryable, tenant: Tenant, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
    await replaceRecoveryCodes(
      db,
      tenant.id,
      userId,
      codes.map((code) => this.hash(tenant, userId, code)),
    );
    return codes;
  }

  async verify(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<FactorPassed | null> {
    const normalized = normalize(code);
    if (normalized === null) return null;
    const { used, remaining } = await useRecoveryCode(
      this.db,
      tenant.id,
      user.id,
      this.hash(tenant, user.id, normalized),
    );
    if (!used) return null;
    await insertAuditEvent(this.db, {
      tenantId: tenant.id,
      type: mfaEvents.recoveryCodeUsed,
      userId: user.id,
      ...auditMeta(meta),
      data: { remaining },
    });
    return { remaining };
  }

  async list(db: Queryable, tenant: Tenant, userId: string): Promise<FactorRecord[]> {
    const summary = await recoveryCodeSummary(db, tenant.id, userId);
    if (!summary.created_at) return [];
    return [
      {
        id: this.id,
        type: this.id,
        label: 'Recovery codes',
        createdAt: summary.created_at,
        lastUsedAt: summary.last_used_at,
        remaining: summary.remaining,
      },
    ];
  }

  async remove(db: Queryable, tenant: Tenant, userId: string, id: string): Promise<boolean> {
    return id === this.id && deleteRecoveryCodes(db, tenant.id, userId);
  }

  async removeAll(db: Queryable, tenant: Tenant, userId: string): Promise<void> {
    await deleteRecoveryCodes(db, tenant.id, userId);
  }

  private hash(tenant: Tenant, userId: string, normalizedCode: string): Buffer {
    return createHmac('sha256', this.key).update(`${tenant.id}:${userId}:${normalizedCode}`).digest();
  }
}

/** `xxxx-xxxx-xxxx`, lowercase. */
function newCode(): string {
  const chars = Array.from({ length: CODE_CHARS }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** What the user typed, without spaces, dashes or case, and with look-alikes read as Crockford does. */
function normalize(code: string): string | null {
  const compact = code.toLowerCase().replace(/[\s-]/g, '').replace(/[o]/g, '0').replace(/[il]/g, '1');
  if (!new RegExp(`^[${ALPHABET}]{${CODE_CHARS}}$`).test(compact)) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}`;
}
