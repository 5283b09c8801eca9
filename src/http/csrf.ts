// CSRF protection of the hosted forms: a random secret in an HttpOnly cookie, and in each form an HMAC of
// that secret bound to the tenant (key derived from SIGNING_MASTER_KEY). A cross-site page can neither
// read the cookie nor compute the token. Compared in constant time.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export class Csrf {
  private readonly key: Buffer;

  constructor(signingMasterKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', signingMasterKey, '', 'hellojohn csrf v1', 32));
  }

  newSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** A usable secret from the cookie, or null (absent or malformed). */
  validSecret(cookie: string | undefined): string | null {
    return cookie && /^[A-Za-z0-9_-]{43}$/.test(cookie) ? cookie : null;
  }

  token(secret: string, tenantId: string): string {
    return createHmac('sha256', this.key).update(`${tenantId}:${secret}`).digest('base64url');
  }

  verify(secret: string | null, tenantId: string, token: unknown): boolean {
    if (!secret || typeof token !== 'string' || token.length > 100) return false;
    const expected = Buffer.from(this.token(secret, tenantId));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
