// Short-lived state handed to a browser or client and given back later (an authorization in progress, a
// login waiting for its second step): encrypted and authenticated under a key derived from the
// secretbox master key for one purpose, bound to the tenant, with an expiry inside the ciphertext. The
// server stores nothing until the state is used.
import { hkdfSync } from 'node:crypto';
import { open, seal } from './secretbox.js';

export class SealedState<T extends { expiresAt: number }> {
  private readonly key: Buffer;

  constructor(
    secretboxMasterKey: Buffer,
    /** Names the use, in the key derivation and the associated data: state sealed for one never opens for another. */
    private readonly purpose: { keyInfo: string; label: string },
    /** Longest sealed form accepted back (cookies hold ~4 KiB). */
    private readonly maxLength: number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretboxMasterKey, '', purpose.keyInfo, 32));
  }

  seal(tenantId: string, value: T): string {
    return seal(this.key, Buffer.from(JSON.stringify(value)), this.aad(tenantId)).toString('base64url');
  }

  /** The value, or null when absent, malformed, tampered with, of another tenant, or expired. */
  open(tenantId: string, sealed: string | undefined, now = Date.now()): T | null {
    if (!sealed || sealed.length > this.maxLength * 2 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
    try {
      const value = JSON.parse(
        open(this.key, Buffer.from(sealed, 'base64url'), this.aad(tenantId)).toString(),
      ) as Partial<T> | undefined;
      if (!value || typeof value.expiresAt !== 'number' || value.expiresAt <= now) return null;
      return value as T;
    } catch {
      return null;
    }
  }

  private aad(tenantId: string): string {
    return `hellojohn:${this.purpose.label}:${tenantId}`;
  }
}
