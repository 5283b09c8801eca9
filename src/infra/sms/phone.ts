// Phone numbers for the SMS factor: what a user typed becomes E.164 (or a clear refusal), and a stored
// number is shown masked. Parsing and validity come from libphonenumber-js with its full metadata ("max"),
// which checks each country's number patterns and knows a number's type, not just its length. That metadata
// is about 2 MB of heap: the library is imported at the first number read, not at startup (most
// installations never read one).
import type * as PhoneLibrary from 'libphonenumber-js/max';
import type { CountryCode, NumberType } from 'libphonenumber-js/max';
import { HelloJohnError } from '../../errors.js';

export type { CountryCode };

export const NOT_A_PHONE_NUMBER = 'Enter a phone number in international format, e.g. +14155550123';
export const CANNOT_RECEIVE_TEXTS = 'This phone number cannot receive text messages';

/** Longer input is not a phone number however it is punctuated; it is refused before parsing. */
const MAX_INPUT_LENGTH = 40;

/**
 * Kinds of number a code must not be texted to: landlines and voicemail do not take texts (or read them
 * out), and premium-rate or shared-cost numbers bill whoever texts them (SMS pumping fraud).
 */
const NO_TEXT_TYPES: ReadonlySet<NumberType> = new Set([
  'FIXED_LINE',
  'PREMIUM_RATE',
  'SHARED_COST',
  'VOICEMAIL',
  'UAN',
]);

let library: Promise<typeof PhoneLibrary> | undefined;

/** libphonenumber-js with its full metadata, imported once; a failed import is tried again next time. */
function phoneLibrary(): Promise<typeof PhoneLibrary> {
  library ??= import('libphonenumber-js/max').catch((error: unknown) => {
    library = undefined;
    throw error;
  });
  return library;
}

/**
 * The number in E.164 (`+14155550123`). Without `defaultCountry` the input must start with `+` and the
 * country code; with it, national forms of that country are accepted too. Throws `invalid_request` for
 * anything that is not a valid number, or is a kind of number that cannot receive a text.
 */
export async function normalizePhoneNumber(input: string, defaultCountry?: CountryCode): Promise<string> {
  const { parsePhoneNumberFromString } = await phoneLibrary();
  const phone =
    input.length <= MAX_INPUT_LENGTH
      ? parsePhoneNumberFromString(input, defaultCountry ? { defaultCountry } : undefined)
      : undefined;
  if (!phone?.isValid()) throw new HelloJohnError('invalid_request', NOT_A_PHONE_NUMBER);
  const type = phone.getType();
  if (type !== undefined && NO_TEXT_TYPES.has(type)) {
    throw new HelloJohnError('invalid_request', CANNOT_RECEIVE_TEXTS);
  }
  return phone.number;
}

/**
 * An E.164 number for display, with its country code and only its last digits: `+1 ••• ••• 0123`,
 * `+33 • •• •• 56 78`. Four digits are kept of a national number of eight or more, two of a shorter one.
 */
export async function maskPhoneNumber(e164: string): Promise<string> {
  const { parsePhoneNumberFromString } = await phoneLibrary();
  const phone = parsePhoneNumberFromString(e164);
  if (!phone || phone.number !== e164) throw new TypeError('maskPhoneNumber needs a number in E.164 format');
  const prefix = `+${phone.countryCallingCode}`;
  const national = phone.formatInternational().slice(prefix.length);
  let shown = phone.nationalNumber.length >= 8 ? 4 : 2;
  let masked = '';
  for (const char of [...national].reverse()) {
    const isDigit = char >= '0' && char <= '9';
    masked = (isDigit && shown-- <= 0 ? '•' : char) + masked;
  }
  return prefix + masked;
}

/** True when `value` is a valid phone number written in E.164 (`+14155550123`), exactly. */
export async function isE164PhoneNumber(value: string): Promise<boolean> {
  const { parsePhoneNumberFromString } = await phoneLibrary();
  const phone = parsePhoneNumberFromString(value);
  return phone?.isValid() === true && phone.number === value;
}
