// Password policy: what a new password must satisfy, per tenant.
//   - Length is counted in Unicode code points after NFC normalisation (NIST SP 800-63B), not UTF-16
//     units: an emoji counts as one character, "é" typed as e + combining accent counts as one.
//   - Character-class rules (upper, lower, digit, symbol) are off by default; a tenant may turn them on.
//   - Common passwords (the shipped top-10,000 list) are refused by default.
//   - A password containing the local part of the user's email (4+ characters, any case) is refused.
//   - The breached check (an outside service) runs last, only when every other rule passed.
// A tenant overrides the deployment's defaults with `password_policy` in its settings JSON; a value of
// the wrong type or out of range is ignored (the default stays), never coerced.
import type { Config } from '../config.js';
import { HelloJohnError } from '../errors.js';
import type { BreachedPasswordChecker } from './breached.js';
import { isCommonPassword } from './common-passwords.js';

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireDigit: boolean;
  requireSymbol: boolean;
  rejectCommon: boolean;
  checkBreached: boolean;
}

export type PasswordViolationCode =
  | 'too_short'
  | 'too_long'
  | 'missing_uppercase'
  | 'missing_lowercase'
  | 'missing_digit'
  | 'missing_symbol'
  | 'common'
  | 'breached'
  | 'contains_email';

export interface PasswordViolation {
  code: PasswordViolationCode;
  message: string;
}

/** The JSON served by `GET /v2/auth/password-policy` (and the shape of a tenant's `password_policy`). */
export interface PublicPasswordPolicy {
  min_length: number;
  max_length: number;
  require_uppercase: boolean;
  require_lowercase: boolean;
  require_digit: boolean;
  require_symbol: boolean;
  reject_common: boolean;
  check_breached: boolean;
}

/** Bounds of min_length / max_length, the same as PASSWORD_MIN_LENGTH / PASSWORD_MAX_LENGTH. */
const LENGTH_MIN = 1;
const LENGTH_MAX = 1024;
/** The local part of an email must be at least this long to be looked for in the password. */
const EMAIL_LOCAL_MIN = 4;

export function defaultPolicy(passwords: Config['passwords']): PasswordPolicy {
  return {
    minLength: passwords.minLength,
    maxLength: passwords.maxLength,
    requireUppercase: false,
    requireLowercase: false,
    requireDigit: false,
    requireSymbol: false,
    rejectCommon: true,
    checkBreached: passwords.breachedCheck,
  };
}

/** `defaults` overridden by the valid entries of `tenantSettings.password_policy`, if any. */
export function policyFor(tenantSettings: unknown, defaults: PasswordPolicy): PasswordPolicy {
  const overrides = isRecord(tenantSettings) ? tenantSettings.password_policy : undefined;
  if (!isRecord(overrides)) return { ...defaults };

  const length = (key: string): number | undefined => {
    const value = overrides[key];
    return Number.isSafeInteger(value) && (value as number) >= LENGTH_MIN && (value as number) <= LENGTH_MAX
      ? (value as number)
      : undefined;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = overrides[key];
    return typeof value === 'boolean' ? value : fallback;
  };

  let minLength = length('min_length') ?? defaults.minLength;
  let maxLength = length('max_length') ?? defaults.maxLength;
  if (minLength > maxLength) {
    // An inconsistent pair: keep the defaults for both rather than guess which one was meant.
    minLength = defaults.minLength;
    maxLength = defaults.maxLength;
  }
  return {
    minLength,
    maxLength,
    requireUppercase: flag('require_uppercase', defaults.requireUppercase),
    requireLowercase: flag('require_lowercase', defaults.requireLowercase),
    requireDigit: flag('require_digit', defaults.requireDigit),
    requireSymbol: flag('require_symbol', defaults.requireSymbol),
    rejectCommon: flag('reject_common', defaults.rejectCommon),
    checkBreached: flag('check_breached', defaults.checkBreached),
  };
}

export function publicPolicy(policy: PasswordPolicy): PublicPasswordPolicy {
  return {
    min_length: policy.minLength,
    max_length: policy.maxLength,
    require_uppercase: policy.requireUppercase,
    require_lowercase: policy.requireLowercase,
    require_digit: policy.requireDigit,
    require_symbol: policy.requireSymbol,
    reject_common: policy.rejectCommon,
    check_breached: policy.checkBreached,
  };
}

const UPPERCASE = /[\p{Lu}\p{Lt}]/u;
const LOWERCASE = /\p{Ll}/u;
const DIGIT = /\p{Nd}/u;
/** Anything that is not a letter, a number or a combining mark: punctuation, symbols, spaces, emoji. */
const SYMBOL = /[^\p{L}\p{N}\p{M}]/u;

export class PasswordPolicyChecker {
  readonly #breached: BreachedPasswordChecker | undefined;

  constructor(deps: { breached?: BreachedPasswordChecker } = {}) {
    this.#breached = deps.breached;
  }

  /**
   * Every rule of `policy` that `password` breaks; empty when it is acceptable. The breached check
   * runs only when nothing else failed, policy.checkBreached is on and a checker was given.
   */
  async check(
    password: string,
    policy: PasswordPolicy,
    context: { email?: string; name?: string } = {},
  ): Promise<PasswordViolation[]> {
    const normalized = password.normalize('NFC');
    const length = codePointLength(normalized);
    const violations: PasswordViolation[] = [];
    const add = (code: PasswordViolationCode, message: string) => violations.push({ code, message });

    if (length < policy.minLength) {
      add('too_short', `The password must be at least ${policy.minLength} characters long.`);
    }
    if (length > policy.maxLength) {
      add('too_long', `The password must be at most ${policy.maxLength} characters long.`);
    }
    if (policy.requireUppercase && !UPPERCASE.test(normalized)) {
      add('missing_uppercase', 'The password must contain an uppercase letter.');
    }
    if (policy.requireLowercase && !LOWERCASE.test(normalized)) {
      add('missing_lowercase', 'The password must contain a lowercase letter.');
    }
    if (policy.requireDigit && !DIGIT.test(normalized)) {
      add('missing_digit', 'The password must contain a digit.');
    }
    if (policy.requireSymbol && !SYMBOL.test(normalized)) {
      add('missing_symbol', 'The password must contain a symbol (a character other than a letter or digit).');
    }
    if (policy.rejectCommon && isCommonPassword(normalized)) {
      add('common', 'The password is too common: choose one that is harder to guess.');
    }
    const local = emailLocalPart(context.email);
    if (local !== undefined && normalized.toLowerCase().includes(local)) {
      add('contains_email', 'The password must not contain your email address.');
    }

    if (violations.length === 0 && policy.checkBreached && this.#breached) {
      if (await this.#breached.isBreached(password)) {
        add('breached', 'The password has appeared in a data breach: choose a different one.');
      }
    }
    return violations;
  }
}

/** Thrown by services when a new password breaks the policy; maps to `weak_password` (HTTP 400). */
export class WeakPasswordError extends HelloJohnError {
  override readonly name = 'WeakPasswordError';
  readonly violations: readonly PasswordViolation[];

  constructor(violations: readonly PasswordViolation[], options?: ErrorOptions) {
    super('weak_password', violations.map((violation) => violation.message).join(' '), options);
    this.violations = [...violations];
  }
}

function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** The lower-cased local part of `email` when it is long enough to be looked for, else undefined. */
function emailLocalPart(email: string | undefined): string | undefined {
  if (typeof email !== 'string') return undefined;
  const at = email.lastIndexOf('@');
  const local = (at === -1 ? email : email.slice(0, at)).normalize('NFC').toLowerCase();
  return codePointLength(local) >= EMAIL_LOCAL_MIN ? local : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
