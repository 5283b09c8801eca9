// The admin API's list cursor: the last row's keyset position (created_at to the microsecond, id), in
// base64url. Opaque to clients; anything but what `encodeListCursor` made is a 400.
import { HelloJohnError } from '../errors.js';

const CURSOR =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** `row.cursor_at`: created_at as the repository formats it for the cursor (UTC, microseconds). */
export function encodeListCursor(row: { cursor_at: string; id: string }): string {
  return Buffer.from(`${row.cursor_at}|${row.id}`).toString('base64url');
}

export function decodeListCursor(cursor: string): { createdAt: string; id: string } {
  const match = /^[A-Za-z0-9_-]{1,200}$/.test(cursor)
    ? CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
    : null;
  if (!match || Number.isNaN(Date.parse(match[1]!)))
    throw new HelloJohnError('invalid_request', 'The cursor is not one this list gave.');
  return { createdAt: match[1]!, id: match[2]! };
}
