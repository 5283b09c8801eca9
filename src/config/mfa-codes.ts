// One-time codes of the MFA module's email and SMS factors (src/modules/mfa/codes/): how many digits, and
// how long a code works. Short on purpose: a code is low entropy, and only its lifetime, its own attempt
// cap and the login's limits keep it from being guessed.
import { duration, integer, type Reader } from './parse.js';

export interface OneTimeCodeConfig {
  /** Digits of a code (6–10). */
  length: number;
  /** How long a code works once sent. */
  ttlMs: number;
}

export interface MfaCodesConfig {
  email: OneTimeCodeConfig;
  sms: OneTimeCodeConfig;
}

export function mfaCodesConfig(read: Reader): MfaCodesConfig {
  return {
    email: {
      length: integer(read, 'MFA_EMAIL_OTP_LENGTH', 6, 6, 10),
      ttlMs: duration(read, 'MFA_EMAIL_OTP_TTL', '10m', 1000),
    },
    sms: {
      length: integer(read, 'MFA_SMS_OTP_LENGTH', 6, 6, 10),
      ttlMs: duration(read, 'MFA_SMS_OTP_TTL', '10m', 1000),
    },
  };
}
