// Rules for free text people type (user, client and tenant names), stated once for every service that
// stores such text. They guard what the text is later shown in: emails, hosted pages, admin listings.

/**
 * Control characters (C0, C1, DEL), and the bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) that would reorder the text around a name wherever it is shown.
 */
export const CONTROL_OR_BIDI = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** True when `text` holds a control or text-direction character (see CONTROL_OR_BIDI). */
export function hasControlOrBidi(text: string): boolean {
  return CONTROL_OR_BIDI.test(text);
}
