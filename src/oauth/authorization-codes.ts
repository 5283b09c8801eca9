// Authorization codes (RFC 6749 §4.1.2) are sealed, not stored: the code is the grant itself, encrypted
// and authenticated (ChaCha20-Poly1305 under a key derived from the secretbox master key, bound to the
// tenant), so issuing one writes nothing to the database. Every instance that shares the master keys can
// redeem it, also after the one that issued it restarted.
//
// Single use is the database's job at the exchange: the code names the OAuth session its exchange starts
// (an id chosen here), and the statement that starts it finds out when that session already exists
// (hellojohn_start_code_grant, migration 23). Everything else (expiry, client, redirect URI, PKCE) is
// checked against the sealed grant before the database is asked, so a refused exchange changes nothing.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { SealedState } from '../crypto/sealed-state.js';

/** What an authorization granted, as the code exchange needs it. */
export interface CodeGrant {
  /** The OAuth session the exchange starts (and the key of its single use). */
  sessionId: string;
  /** The client's row id: a client deleted and created again with the same client_id cannot redeem it. */
  clientRowId: string;
  userId: string;
  browserSessionId: string;
  /** In the form the token endpoint compares (src/oauth/redirect-uris.ts). */
  redirectUri: string;
  scope: string;
  nonce: string | null;
  /** PKCE S256 challenge, or null when the request carried none. */
  codeChallenge: string | null;
  authTime: Date;
  amr: string[];
}

/** The sealed form: short member names, because the code travels in a URL. */
interface Sealed {
  expiresAt: number;
  s: string;
  c: string;
  u: string;
  b: string;
  r: string;
  sc: string;
  n?: string;
  cc?: string;
  t: number;
  a: string[];
}

/** Redirect URIs are at most 2,000 characters (src/clients): the longest code stays well under this. */
const MAX_CODE_LENGTH = 4096;

export class AuthorizationCodes {
  private readonly sealed: SealedState<Sealed>;

  constructor(
    secretboxMasterKey: Buffer,
    private readonly ttlMs: number,
  ) {
    this.sealed = new SealedState(
      secretboxMasterKey,
      { keyInfo: 'hellojohn authorization code v1', label: 'authorization_code' },
      MAX_CODE_LENGTH,
    );
  }

  /** A new code for `grant` minus the session id, which is chosen here; returns both. */
  issue(
    tenantId: string,
    grant: Omit<CodeGrant, 'sessionId'>,
    now = Date.now(),
  ): { code: string; sessionId: string } {
    const sessionId = randomUUID();
    const value: Sealed = {
      expiresAt: now + this.ttlMs,
      s: sessionId,
      c: grant.clientRowId,
      u: grant.userId,
      b: grant.browserSessionId,
      r: grant.redirectUri,
      sc: grant.scope,
      ...(grant.nonce !== null ? { n: grant.nonce } : {}),
      ...(grant.codeChallenge !== null ? { cc: grant.codeChallenge } : {}),
      t: grant.authTime.getTime(),
      a: grant.amr,
    };
    return { code: this.sealed.seal(tenantId, value), sessionId };
  }

  /**
   * The grant in `code` and whether it has expired, or null when it is not a code of this tenant (malformed,
   * tampered with, sealed for another purpose or tenant). An expired code still opens: its replay revokes.
   */
  open(tenantId: string, code: string, now = Date.now()): { grant: CodeGrant; expired: boolean } | null {
    // Expiry is judged below, not by SealedState, so that an expired code can still be recognised.
    const v = this.sealed.open(tenantId, code, Number.NEGATIVE_INFINITY);
    if (!v || typeof v.s !== 'string' || typeof v.c !== 'string' || !Array.isArray(v.a)) return null;
    return {
      grant: {
        sessionId: v.s,
        clientRowId: v.c,
        userId: v.u,
        browserSessionId: v.b,
        redirectUri: v.r,
        scope: v.sc,
        nonce: v.n ?? null,
        codeChallenge: v.cc ?? null,
        authTime: new Date(v.t),
        amr: v.a,
      },
      expired: v.expiresAt <= now,
    };
  }
}

/**
 * RFC 7636 §4.6: with a challenge, the verifier's S256 must equal it; without one, a verifier is refused
 * (a downgrade attempt). Compared in constant time.
 */
export function pkceMatches(challenge: string | null, verifier: string | undefined): boolean {
  if (challenge === null) return verifier === undefined;
  if (verifier === undefined) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
