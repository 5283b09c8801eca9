// The shipped list of the most common passwords (see common-passwords.data.ts for its origin).
// The Set is built on first use, once, so processes that never check a password never pay for it.
import { COMMON_PASSWORDS } from './common-passwords.data.js';

let common: ReadonlySet<string> | undefined;

/** True when `password`, compared case-insensitively (after NFC normalisation), is on the list. */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  return common.has(password.normalize('NFC').toLowerCase());
}
