// The codes the email and SMS factors send: random digits, stored only as an HMAC bound to the user, the
// channel, the purpose and the number it went to; single use; a new one replaces the last; each code
// takes a few tries at most (on top of the login's own limits), counted before the comparison.
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';
import type { OneTimeCodeConfig } from '../../../config.js';
import type { Database } from '../../../db/database.js';
import {
  consumeCode,
  deleteCode,
  storeCode,
  takeCodeAttempt,
  type CodeOwner,
  type CodePurpose,
} from './repository.js';

/** Tries one code takes, right or wrong; then it is dead and the user asks for another. */
export const CODE_ATTEMPTS = 5;

export interface IssuedCode {
  code: string;
  /** Names this code, to withdraw it when its delivery failed. */
  codeHash: Buffer;
}

/** A code that proved itself: what it was sent for, and where. */
export interface AcceptedCode {
  purpose: CodePurpose;
  phoneNumber: string | null;
}

export type CodeCheck = { accepted: true; code: AcceptedCode } | { accepted: false; exhausted: boolean };

export class OneTimeCodes {
  private readonly key: Buffer;

  constructor(
    private readonly db: Database,
    /** The MAC key is derived from it, for this use only. */
    secretboxMasterKey: Buffer,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretboxMasterKey, '', 'hellojohn mfa one-time code v1', 32));
  }

  /** A fresh code for `owner`, stored (replacing the last one) and returned for delivery. */
  async issue(
    owner: CodeOwner,
    options: { purpose: CodePurpose; phoneNumber: string | null; config: OneTimeCodeConfig },
  ): Promise<IssuedCode> {
    const { purpose, phoneNumber, config } = options;
    const code = randomInt(0, 10 ** config.length)
      .toString()
      .padStart(config.length, '0');
    const codeHash = this.mac(owner, purpose, phoneNumber, code);
    await storeCode(this.db, owner, { purpose, codeHash, phoneNumber, ttlMs: config.ttlMs });
    return { code, codeHash };
  }

  /** Deletes a code whose delivery failed, so that no usable code is left behind. */
  async withdraw(owner: CodeOwner, issued: IssuedCode): Promise<void> {
    await deleteCode(this.db, owner, issued.codeHash);
  }

  /**
   * Checks what the user typed against the live code and spends it when it matches. `exhausted`: this
   * wrong try was the code's last.
   */
  async check(owner: CodeOwner, typed: string, length: number): Promise<CodeCheck> {
    // People copy codes with spaces or dashes ("123 456"); anything else that is not the code's digits
    // cannot match, and spends nothing of the code's tries.
    const digits = typed.replace(/[\s-]/g, '');
    if (!new RegExp(`^\\d{${length}}$`).test(digits)) return { accepted: false, exhausted: false };
    const live = await takeCodeAttempt(this.db, owner, CODE_ATTEMPTS);
    if (!live) return { accepted: false, exhausted: false };
    const candidate = this.mac(owner, live.purpose, live.phone_number, digits);
    if (!timingSafeEqual(candidate, live.code_hash)) {
      return { accepted: false, exhausted: live.attempts >= CODE_ATTEMPTS };
    }
    // Spent here, once: a parallel request with the same code finds it spent.
    if (!(await consumeCode(this.db, owner, live.code_hash))) return { accepted: false, exhausted: false };
    return { accepted: true, code: { purpose: live.purpose, phoneNumber: live.phone_number } };
  }

  private mac(owner: CodeOwner, purpose: CodePurpose, phoneNumber: string | null, code: string): Buffer {
    return createHmac('sha256', this.key)
      .update([owner.tenantId, owner.userId, owner.channel, purpose, phoneNumber ?? '', code].join('\u0000'))
      .digest();
  }
}
