// One-time codes and tokens mailed or texted to a person (MFA codes, email sign-in codes and links): made
// here, stored only as an HMAC under a key derived for one use from the secretbox master key (six digits
// are too few for a plain hash to hide them from whoever reads a dump), and checked the one way: an attempt
// is counted before the comparison (parallel guesses get no more tries than sequential ones), the
// comparison takes constant time, and a match is spent once.
import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

/** Tries one code takes, right or wrong; then it is dead and the user asks for another. */
export const CODE_ATTEMPTS = 5;

/** HMAC-SHA256 under a key of its own, derived (HKDF) from the master key with `info`. */
export class SecretMac {
  private readonly key: Buffer;

  constructor(masterKey: Buffer, info: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, '', info, 32));
  }

  /** The MAC of `parts` (joined with NUL, so no two lists of parts give the same input). */
  of(parts: readonly string[]): Buffer {
    return createHmac('sha256', this.key).update(parts.join('\u0000')).digest();
  }
}

/** `length` random decimal digits. */
export function randomDigits(length: number): string {
  return randomInt(0, 10 ** length)
    .toString()
    .padStart(length, '0');
}

/**
 * What the user typed as a code of `length` digits: people copy codes with spaces or dashes ("123 456").
 * Null when it cannot be one (such a try spends nothing of the code's attempts).
 */
export function typedDigits(typed: string, length: number): string | null {
  const digits = typed.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${length}}$`).test(digits) ? digits : null;
}

/** A live code as its store hands it out for one attempt. */
export interface CodeAttempt {
  codeHash: Buffer;
  /** Attempts on this code, this one included. */
  attempts: number;
}

export type CodeCheck<Row> = { accepted: true; row: Row } | { accepted: false; exhausted: boolean };

/**
 * Checks `digits` against the live code of a store: `take` counts one attempt on it (none left, or no live
 * code: null), `expected` is the MAC the digits must have for that code, `consume` spends it (false when a
 * parallel request did first). `exhausted`: this wrong try was the code's last.
 */
export async function checkCode<Row extends CodeAttempt>(
  digits: string | null,
  store: {
    take(): Promise<Row | null>;
    expected(row: Row, digits: string): Buffer;
    consume(row: Row): Promise<boolean>;
  },
  maxAttempts = CODE_ATTEMPTS,
): Promise<CodeCheck<Row>> {
  if (digits === null) return { accepted: false, exhausted: false };
  const live = await store.take();
  if (!live) return { accepted: false, exhausted: false };
  const candidate = store.expected(live, digits);
  if (candidate.length !== live.codeHash.length || !timingSafeEqual(candidate, live.codeHash))
    return { accepted: false, exhausted: live.attempts >= maxAttempts };
  if (!(await store.consume(live))) return { accepted: false, exhausted: false };
  return { accepted: true, row: live };
}
