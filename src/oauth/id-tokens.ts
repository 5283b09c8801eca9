// ID tokens (OIDC Core §2, §3.1.3.6): signed with the tenant's key for the client's chosen algorithm
// (RS256 unless the client registered EdDSA or ES256). at_hash is the left half of the access token's
// hash, using the hash of the signing algorithm (SHA-256 for RS256/ES256, SHA-512 for Ed25519).
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { IdTokenAlg } from '../clients/clients.js';
import { acrOf } from './acr.js';
import { signCompactJws } from '../crypto/jws.js';
import type { KeyStore } from '../keys/key-store.js';
import type { TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';

/** The claims every ID token may carry besides the user claims its scopes release (discovery lists them). */
export const ID_TOKEN_CLAIMS = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'amr',
  'acr',
  'sid',
  'at_hash',
] as const;

export interface IdTokenInput {
  tenant: Tenant;
  clientId: string;
  alg: IdTokenAlg;
  subject: string;
  /** The browser session at the OP (used by RP-initiated logout). */
  sessionId: string;
  authTime: Date;
  amr: string[];
  nonce?: string | null;
  accessToken?: string;
  claims: Record<string, unknown>;
}

export function leftHalfHash(value: string, alg: IdTokenAlg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(value)
    .digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export class IdTokens {
  constructor(
    private readonly keys: KeyStore,
    private readonly lifetimes: Pick<TenantLifetimes, 'of'>,
  ) {}

  async issue(input: IdTokenInput): Promise<string> {
    const key = await this.keys.signingKey(input.tenant.id, input.alg);
    const payload: Record<string, unknown> = {
      ...input.claims,
      auth_time: Math.floor(input.authTime.getTime() / 1000),
      sid: input.sessionId,
      amr: input.amr,
      acr: acrOf(input.amr),
    };
    if (input.nonce) payload.nonce = input.nonce;
    if (input.accessToken) payload.at_hash = leftHalfHash(input.accessToken, input.alg);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      ...payload,
      iss: input.tenant.issuer,
      sub: input.subject,
      aud: input.clientId,
      iat: now,
      exp: now + this.lifetimes.of(input.tenant).idTokenSeconds,
    };
    return signCompactJws({ alg: key.alg, kid: key.kid, typ: 'JWT' }, claims, key.privateKey);
  }

  /**
   * Verifies an ID token this issuer signed (signature, issuer, and audience when given). An expired one
   * is still accepted: id_token_hint and logout hints are typically old. It must be an ID token: access
   * tokens are signed with the same keys, but are typed `at+jwt` (RFC 9068) and carry no `auth_time`,
   * while every ID token issued here is typed `JWT` and has one. Null when it is not ours.
   */
  async verifyHint(tenant: Tenant, token: string, clientId?: string): Promise<IdTokenHint | null> {
    let kid: unknown;
    try {
      ({ kid } = decodeProtectedHeader(token));
    } catch {
      return null;
    }
    if (typeof kid !== 'string') return null;
    const key = await this.keys.verificationKey(tenant.id, kid);
    if (!key) return null;
    const options = {
      algorithms: [key.alg],
      issuer: tenant.issuer,
      ...(clientId ? { audience: clientId } : {}),
      typ: 'JWT',
      requiredClaims: ['sub', 'aud', 'iat', 'auth_time'],
    };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, options);
      return hintOf(payload);
    } catch (error) {
      if (!(error instanceof joseErrors.JWTExpired)) return null;
      // Expired is fine for a hint; everything else was verified before the expiry check failed.
      return hintOf(error.payload);
    }
  }
}

/** What a verified id_token_hint says. */
export interface IdTokenHint {
  sub: string;
  aud: string[];
  sid?: string;
  /** The token itself carries the user's email: its client already knows it. */
  hasEmail: boolean;
}

function hintOf(payload: {
  sub?: unknown;
  aud?: unknown;
  sid?: unknown;
  email?: unknown;
}): IdTokenHint | null {
  if (typeof payload.sub !== 'string') return null;
  const aud = Array.isArray(payload.aud) ? payload.aud.filter((a) => typeof a === 'string') : [payload.aud];
  return {
    sub: payload.sub,
    aud: aud.filter((a): a is string => typeof a === 'string'),
    ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}),
    hasEmail: typeof payload.email === 'string',
  };
}
