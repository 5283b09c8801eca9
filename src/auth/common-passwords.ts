// The shipped list of the most common passwords: assets/common-passwords.txt, one a line (see
// assets/common-passwords.md for its origin; scripts/generate-common-passwords.mjs writes it). Read and
// turned into a Set on first use, once, so processes that never check a password never pay for it. The
// read costs about 0.5 ms of CPU; building the Set costs what it did when the list was compiled in.
import { readFileSync } from 'node:fs';

/** The list's location: two levels up from src/auth/ (tsx) and dist/auth/ (the package) alike. */
export const COMMON_PASSWORDS_FILE = new URL('../../assets/common-passwords.txt', import.meta.url);

let common: ReadonlySet<string> | undefined;

function load(): ReadonlySet<string> {
  const passwords = new Set(readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n'));
  passwords.delete(''); // after the last line break
  return passwords;
}

/** True when `password`, compared case-insensitively (after NFC normalisation), is on the list. */
export function isCommonPassword(password: string): boolean {
  common ??= load();
  return common.has(password.normalize('NFC').toLowerCase());
}
