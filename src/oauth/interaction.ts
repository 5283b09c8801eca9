// The state of one authorization between /oauth2/authorize, the login page and the consent page. It is
// kept in the browser as an encrypted and authenticated cookie (ChaCha20-Poly1305 under a key derived
// from the secretbox master key, bound to the tenant), so an authorization writes nothing to the
// database until the code is issued. It expires after INTERACTION_TTL.
import { randomBytes } from 'node:crypto';
import { SealedState } from '../crypto/sealed-state.js';

export interface Interaction {
  /** Random id; the login and consent forms carry it so a stale tab cannot act on a newer request. */
  id: string;
  /** The authorization request's parameters, re-validated in full when it resumes. */
  params: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  /** The browser session created by signing in during this interaction (satisfies prompt=login). */
  loginSessionId?: string;
  /**
   * The browser session that was offered a second step during this interaction (step-up) and had none to
   * pass: no factor to use or set up. The authorization goes on without it.
   */
  secondStepSkipped?: string;
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
  private readonly sealed: SealedState<Interaction>;

  constructor(
    secretboxMasterKey: Buffer,
    private readonly ttlMs: number,
  ) {
    this.sealed = new SealedState(
      secretboxMasterKey,
      { keyInfo: 'hellojohn interaction cookie v1', label: 'interaction' },
      MAX_SEALED_LENGTH,
    );
  }

  start(params: Record<string, string>, now = Date.now()): Interaction {
    return { id: randomBytes(16).toString('base64url'), params, createdAt: now, expiresAt: now + this.ttlMs };
  }

  get maxAgeSeconds(): number {
    return Math.ceil(this.ttlMs / 1000);
  }

  seal(tenantId: string, interaction: Interaction): string {
    return this.sealed.seal(tenantId, interaction);
  }

  /** The interaction in `cookie`, or null when absent, tampered with, of another tenant, or expired. */
  open(tenantId: string, cookie: string | undefined, now = Date.now()): Interaction | null {
    const value = this.sealed.open(tenantId, cookie, now);
    return value && typeof value.id === 'string' ? value : null;
  }
}
