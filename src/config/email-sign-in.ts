// Sign-in by email (src/modules/email-signin/): how long a mailed sign-in link works, and the digits and
// lifetime of a mailed sign-in code. Short on purpose: whoever reads the mailbox signs in with them.
import type { OneTimeCodeConfig } from './mfa-codes.js';
import { duration, integer, type Reader } from './parse.js';

export interface EmailSignInConfig {
  /** How long a sign-in link works once sent. */
  linkTtlMs: number;
  /** A sign-in code by email. */
  code: OneTimeCodeConfig;
}

export function emailSignInConfig(read: Reader): EmailSignInConfig {
  return {
    linkTtlMs: duration(read, 'EMAIL_LINK_TTL', '15m', 60_000),
    code: {
      length: integer(read, 'EMAIL_OTP_LENGTH', 6, 6, 10),
      ttlMs: duration(read, 'EMAIL_OTP_TTL', '10m', 1000),
    },
  };
}
