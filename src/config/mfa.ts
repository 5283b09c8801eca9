// Multi-factor authentication: the authenticator-app (TOTP) parameters new enrolments get, and the switch
// for the tenants' adaptive rules.
import { boolean, integer, oneOf, type Reader } from './parse.js';

export interface MfaConfig {
  /** The issuer authenticator apps show; undefined: the tenant's name. */
  totpIssuer: string | undefined;
  totpDigits: 6 | 8;
  totpPeriodSeconds: number;
  /** Time steps accepted either side of the current one (clock drift). */
  totpWindow: number;
  /** Off: the tenants' adaptive rules are ignored (a trusted device always skips the second step). */
  adaptiveEnabled: boolean;
}

export function mfaConfig(read: Reader): MfaConfig {
  return {
    totpIssuer: read('MFA_TOTP_ISSUER'),
    totpDigits: Number(oneOf(read, 'MFA_TOTP_DIGITS', ['6', '8'] as const, '6')) as 6 | 8,
    totpPeriodSeconds: integer(read, 'MFA_TOTP_PERIOD', 30, 15, 120),
    totpWindow: integer(read, 'MFA_TOTP_WINDOW', 1, 0, 10),
    adaptiveEnabled: boolean(read, 'MFA_ADAPTIVE_ENABLED', true),
  };
}
