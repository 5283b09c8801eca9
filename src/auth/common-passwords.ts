// The shipped list of the most common passwords: assets/common-passwords.txt, one a line (see
// assets/common-passwords.md for its origin; scripts/generate-common-passwords.mjs writes it). Read on
// first use, once, so processes that never check a password never pay for it, and kept compact: the
// lines sorted by their bytes in one Buffer, with their offsets, searched by bisection (about 120 KB,
// where a Set of the 10,000 strings held about 1 MB of heap). The read and sort cost ~25 ms once.
import { readFileSync } from 'node:fs';

/** The list's location: two levels up from src/auth/ (tsx) and dist/auth/ (the package) alike. */
export const COMMON_PASSWORDS_FILE = new URL('../../assets/common-passwords.txt', import.meta.url);

interface SortedList {
  /** Every entry's UTF-8 bytes, in byte order, back to back. */
  bytes: Buffer;
  /** Entry i is bytes[starts[i], starts[i + 1]); one more offset than entries. */
  starts: Uint32Array;
}

let common: SortedList | undefined;

function load(): SortedList {
  const entries = readFileSync(COMMON_PASSWORDS_FILE, 'utf8')
    .split('\n')
    .filter((line) => line !== '') // after the last line break
    .map((line) => Buffer.from(line, 'utf8'))
    .sort((a, b) => Buffer.compare(a, b));
  const starts = new Uint32Array(entries.length + 1);
  for (let i = 0; i < entries.length; i++) starts[i + 1] = starts[i]! + entries[i]!.length;
  return { bytes: Buffer.concat(entries), starts };
}

/** True when `password`, compared case-insensitively (after NFC normalisation), is on the list. */
export function isCommonPassword(password: string): boolean {
  common ??= load();
  const { bytes, starts } = common;
  const wanted = Buffer.from(password.normalize('NFC').toLowerCase(), 'utf8');
  let low = 0;
  let high = starts.length - 2;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = bytes.compare(wanted, 0, wanted.length, starts[middle], starts[middle + 1]);
    if (order === 0) return true;
    // Below 0: the entry sorts before the password.
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
