// The codes the email and SMS factors send: random digits, stored only as an HMAC bound to the user, the
// channel, the purpose and the number it went to; single use; a new one replaces the last; each code
// takes a few tries at most (on top of the login's own limits). The mechanics are the shared ones of
// src/crypto/one-time-codes.ts.
import type { OneTimeCodeConfig } from '../../../config.js';
import {
  CODE_ATTEMPTS,
  SecretMac,
  checkCode,
  randomDigits,
  typedDigits,
} from '../../../crypto/one-time-codes.js';
import type { Database } from '../../../db/database.js';
import {
  consumeCode,
  deleteCode,
  storeCode,
  takeCodeAttempt,
  type CodeOwner,
  type CodePurpose,
} from './repository.js';

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
  private readonly macs: SecretMac;

  constructor(
    private readonly db: Database,
    /** The MAC key is derived from it, for this use only. */
    secretboxMasterKey: Buffer,
  ) {
    this.macs = new SecretMac(secretboxMasterKey, 'hellojohn mfa one-time code v1');
  }

  /** A fresh code for `owner`, stored (replacing the last one) and returned for delivery. */
  async issue(
    owner: CodeOwner,
    options: { purpose: CodePurpose; phoneNumber: string | null; config: OneTimeCodeConfig },
  ): Promise<IssuedCode> {
    const { purpose, phoneNumber, config } = options;
    const code = randomDigits(config.length);
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
    const check = await checkCode(typedDigits(typed, length), {
      take: async () => {
        const live = await takeCodeAttempt(this.db, owner, CODE_ATTEMPTS);
        return live && { ...live, codeHash: live.code_hash };
      },
      expected: (live, digits) => this.mac(owner, live.purpose, live.phone_number, digits),
      // Spent here, once: a parallel request with the same code finds it spent.
      consume: (live) => consumeCode(this.db, owner, live.code_hash),
    });
    if (!check.accepted) return check;
    return { accepted: true, code: { purpose: check.row.purpose, phoneNumber: check.row.phone_number } };
  }

  private mac(owner: CodeOwner, purpose: CodePurpose, phoneNumber: string | null, code: string): Buffer {
    return this.macs.of([owner.tenantId, owner.userId, owner.channel, purpose, phoneNumber ?? '', code]);
  }
}
