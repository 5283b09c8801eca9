// The state of one authorization between /oauth2/authorize, the login page and the consent page. It is
// kept in the browser as an encrypted and authenticated cookie (ChaCha20-Poly1305 under a key derived
// from the secretbox master key, bound to the tenant), so an authorization writes nothing to the
// database until the code is issued. It expires after INTERACTION_TTL.
import { hkdfSync, randomBytes } from 'node:crypto';
import { open, seal } from '../crypto/secretbox.js';

export interface Interaction {
  /** Random id; the login and consent forms carry it so a stale tab cannot act on a newer request. */
  id: string;
  /** The authorization request's parameters, re-validated in full when it resumes. */
  params: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  /** The browser session created by signing in during this interaction (satisfies prompt=login). */
  loginSessionId?: string;
  /** The user approved the consent screen during this interaction (satisfies prompt=consent). */
  consented?: boolean;
  /**
   * The user an id_token_hint names, for the login page: the email shown, and whether it may be
   * pre-filled (the client already knows it) or is shown masked.
   */
  loginAs?: { userId: string; email: string; prefill: boolean };
}

/** Browsers accept ~4 KiB per cookie; a request whose state would not fit is refused up front. */
export const MAX_SEALED_LENGTH = 3800;

export class InteractionSealer {
  private readonly key: Buffer;

  constructor(
    secretboxMasterKey: Buffer,
    private readonly ttlMs: number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretboxMasterKey, '', 'hellojohn interaction cookie v1', 32));
  }

  start(params: Record<string, string>, now = Date.now()): Interaction {
    return { id: randomBytes(16).toString('base64url'), params, createdAt: now, expiresAt: now + this.ttlMs };
  }

  get maxAgeSeconds(): number {
    return Math.ceil(this.ttlMs / 1000);
  }

  seal(tenantId: string, interaction: Interaction): string {
    const plaintext = Buffer.from(JSON.stringify(interaction));
    return seal(this.key, plaintext, aad(tenantId)).toString('base64url');
  }

  /** The interaction in `cookie`, or null when absent, tampered with, of another tenant, or expired. */
  open(tenantId: string, cookie: string | undefined, now = Date.now()): Interaction | null {
    if (!cookie || cookie.length > MAX_SEALED_LENGTH * 2 || !/^[A-Za-z0-9_-]+$/.test(cookie)) return null;
    try {
      const value = JSON.parse(open(this.key, Buffer.from(cookie, 'base64url'), aad(tenantId)).toString()) as
        Interaction | undefined;
      if (!value || typeof value.id !== 'string' || typeof value.expiresAt !== 'number') return null;
      return value.expiresAt > now ? value : null;
    } catch {
      return null;
    }
  }
}

const aad = (tenantId: string) => `hellojohn:interaction:${tenantId}`;
