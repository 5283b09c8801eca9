// The one rule for email addresses: what is accepted, and the normalised form that is stored, compared,
// rate-limited, locked out and mailed. Every path that takes an address goes through `parseEmailAddress`.
//
// Normalised form: local part NFKC, lower-cased, NFKC again (NFKC_Casefold in practice); domain through
// UTS #46 (node's `domainToASCII`), kept in its Unicode form so addresses stored before this rule keep
// their key. `\u212Aim@Example.COM` (Kelvin sign) and `ｋｉｍ@example.com` (fullwidth) both become
// `kim@example.com`, so they are the same account as `kim@example.com`, and mail goes to that address.
//
// Refused, because the same-looking address could then belong to two accounts or hide what it is:
// - local-part characters other than letters, marks, digits and the RFC 5322 atext symbols (. ! # $ % &
//   ' * + - / = ? ^ _ ` { | } ~): no spaces, quotes, controls, non-ASCII punctuation or symbols;
// - invisible characters: format (\p{Cf}, e.g. zero-width joiner), default-ignorable code points;
// - combining marks of no script (\p{Script=Inherited}, e.g. U+0301) left over after NFKC: `e` + U+0301
//   composes and is accepted, `q` + U+0301 does not and is refused. Marks of a script (Devanagari vowel
//   signs) are part of writing that script and accepted;
// - letters of more than one script, except the mixes UTS #39 "highly restrictive" allows (Latin with
//   Han, Hiragana, Katakana; Latin with Han and Bopomofo; Latin with Han and Hangul), so `раypal` with a
//   Cyrillic `а` is refused while all-Cyrillic `иван` and all-Greek `αλέξης` are accepted;
// - single-script Cyrillic or Greek local parts made only of letters that look like Latin ones (`рау`
//   reads as "pay"): whole-script confusables of the most common kind.
// Digits and the atext symbols are script-neutral.
import { domainToASCII, domainToUnicode } from 'node:url';

export interface EmailAddress {
  /** The key of the account: stored in email_normalized, compared, rate-limited and mailed. */
  normalized: string;
  /** What to store for display: the typed address when it differs from `normalized` only in ASCII case. */
  display: string;
}

export type EmailAddressResult = ({ ok: true } & EmailAddress) | { ok: false; reason: string };

const ASCII_LOCAL = /^[A-Za-z0-9.!#$%&'*+\-/=?^_`{|}~]+$/;
const LOCAL_CHAR = /^[\p{L}\p{M}\p{N}.!#$%&'*+\-/=?^_`{|}~]$/u;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Zs}\p{Zl}\p{Zp}]/u;
const STRAY_MARK = /\p{Script=Inherited}/u;
const LETTER = /[\p{L}\p{M}\p{N}]/u;
// Scripts told apart when checking for mixes. A letter of a script missing here counts as "Other": a
// local part in such a script alone is accepted, mixed with a listed one it is refused.
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Devanagari',
  'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Georgian', 'Hangul', 'Ethiopic', 'Cherokee', 'Khmer',
  'Mongolian', 'Hiragana', 'Katakana', 'Bopomofo', 'Han', 'Canadian_Aboriginal', 'Tifinagh', 'Nko',
] as const; // prettier-ignore
const SCRIPT_TESTS = SCRIPTS.map((name) => [name, new RegExp(`\\p{Script=${name}}`, 'u')] as const);
const ALLOWED_MIXES: readonly (readonly string[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];
// Lower-case Cyrillic and Greek letters that are drawn like Latin letters.
const LATIN_LOOKALIKES = /^[авекмнорстухіјѕһԁԛԝӏαικνορτυχ]$/u;

export function parseEmailAddress(input: unknown): EmailAddressResult {
  if (typeof input !== 'string') return refused('The email address is not valid.');
  const typed = input.trim();
  if (typed.length > 254) return refused('The email address is too long.');
  // NFKC first, so a fullwidth or small commercial at separates the parts like '@' does.
  const folded = typed.normalize('NFKC');
  const at = folded.lastIndexOf('@');
  if (at < 1 || at === folded.length - 1) return refused('The email address is not valid.');
  const local = normalizeLocalPart(folded.slice(0, at));
  if (typeof local !== 'string') return local;
  const domain = normalizeDomain(folded.slice(at + 1));
  if (domain === null) return refused('The domain of the email address is not valid.');
  const normalized = `${local}@${domain}`;
  if (normalized.length > 254) return refused('The email address is too long.');
  const display = typed.replace(/[A-Z]+/g, (s) => s.toLowerCase()) === normalized ? typed : normalized;
  return { ok: true, normalized, display };
}

/** The normalised form, or null when the address is refused (callers that answer alike either way). */
export function normalizedEmail(input: unknown): string | null {
  const parsed = parseEmailAddress(input);
  return parsed.ok ? parsed.normalized : null;
}

/**
 * The keys an existing account with this address may be stored under: the normalised form (when the
 * address is accepted) and the key of the rule before it (trimmed, NFC, lower-cased), where different.
 * Accounts registered before this rule keep signing in and cannot be registered a second time under the
 * new key (`x@xn--strae-oqa.de` became `x@straße.de`, `ﬁnn@` became `finn@`; a few became refused).
 */
export function accountKeys(
  input: unknown,
  /** normalizedEmail(input), when the caller has it already. */
  normalized: string | null = normalizedEmail(input),
): string[] {
  if (typeof input !== 'string') return [];
  const legacy = input.trim().normalize('NFC').toLowerCase();
  if (normalized === null) return legacy.includes('@') && legacy.length <= 254 ? [legacy] : [];
  return normalized === legacy ? [normalized] : [normalized, legacy];
}

function normalizeLocalPart(raw: string): string | { ok: false; reason: string } {
  if (ASCII_LOCAL.test(raw)) return raw.length <= 64 ? raw.toLowerCase() : refused(LOCAL_TOO_LONG);
  const local = raw.normalize('NFKC').toLowerCase().normalize('NFKC');
  if (INVISIBLE.test(local))
    return refused('The email address contains invisible, space or control characters.');
  if (Buffer.byteLength(local) > 64) return refused(LOCAL_TOO_LONG);
  const chars = [...local];
  if (!chars.every((c) => LOCAL_CHAR.test(c)))
    return refused(
      "The part before the @ may contain only letters, digits and . ! # $ % & ' * + - / = ? ^ _ ` { | } ~",
    );
  if (chars.some((c) => STRAY_MARK.test(c)))
    return refused('The email address contains a combining mark that is not part of a letter.');
  const scripts = new Set(chars.filter((c) => LETTER.test(c)).map(scriptOf));
  scripts.delete('Common');
  if (scripts.size > 1 && !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.includes(s))))
    return refused('The email address mixes letters of different scripts (for example Latin and Cyrillic).');
  const letters = chars.filter((c) => /\p{L}/u.test(c));
  if ((scripts.has('Cyrillic') || scripts.has('Greek')) && letters.every((c) => LATIN_LOOKALIKES.test(c)))
    return refused('The email address is made only of letters that look like Latin letters.');
  return local;
}

function normalizeDomain(raw: string): string | null {
  // UTS #46 mapping (case, width, compatibility forms) and validation; '' when the name is not valid.
  const ascii = domainToASCII(raw);
  if (!ascii || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || labels.some((l) => !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return null;
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(labels.at(-1)!)) return null;
  return /(^|\.)xn--/.test(ascii) ? domainToUnicode(ascii) : ascii;
}

function scriptOf(char: string): string {
  if (/[\p{Script=Common}\p{Script=Inherited}]/u.test(char)) return 'Common';
  return SCRIPT_TESTS.find(([, test]) => test.test(char))?.[0] ?? 'Other';
}

const LOCAL_TOO_LONG = 'The part before the @ is too long (at most 64 bytes).';

function refused(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
