// Opaque secrets handed to clients (refresh tokens, cookies, email links): 256 random bits, and the
// SHA-256 we store and look them up by.
import { hash, randomBytes } from 'node:crypto';

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** Cheap syntactic check before touching the database: 43 base64url characters. */
export function looksLikeOpaqueToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
