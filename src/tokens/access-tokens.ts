// Access tokens: JWTs in the RFC 9068 shape (typ at+jwt; iss, sub, aud, exp, iat, jti, client_id, scope)
// plus HelloJohn's top-level tid, sid, amr, and the acr that amr achieved (src/oauth/acr.ts). Signed with the tenant's active key (EdDSA by default).
// The audience: an API resource's identifier (RFC 8707, src/oauth/token-policy.ts) or, without one, our
// own APIs only (UserInfo and the account API), named by the tenant's UserInfo endpoint URL. `verify`
// accepts only the latter unless told otherwise (introspection), so a token for an API never opens ours,
// and a token for ours verifies nowhere else.
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { signCompactJws } from '../crypto/jws.js';
import { HelloJohnError } from '../errors.js';
import type { KeyStore, SigningAlg } from '../keys/key-store.js';
import { acrOf } from '../oauth/acr.js';
import type { TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  tid: string;
  sid?: string;
  scope?: string;
  amr?: string[];
  acr?: string;
  client_id?: string;
}

export interface IssueAccessToken {
  tenant: Tenant;
  subject: string;
  sessionId?: string;
  scope?: string;
  amr?: string[];
  clientId?: string;
  /** An API resource's identifier; absent: our own APIs (ownAudience). */
  audience?: string;
  /** Extra claims (roles, permissions…); the claims above always win over them. */
  claims?: Readonly<Record<string, unknown>>;
  /** Lifetime in seconds; absent: the tenant's (its `lifetimes` setting, else ACCESS_TTL). */
  ttlSeconds?: number;
}

/** The audience of a token for our own APIs: the tenant's UserInfo endpoint (as discovery names it). */
export function ownAudience(tenant: Pick<Tenant, 'issuer'>): string {
  return `${tenant.issuer}/userinfo`;
}

export class InvalidTokenError extends HelloJohnError {
  override readonly name = 'InvalidTokenError';
  constructor(description = 'The access token is invalid or expired.') {
    super('invalid_token', description);
  }
}

const ACCEPTED_ALGS: readonly string[] = ['EdDSA', 'RS256', 'ES256'];

/** A token that passed jose's verification, remembered until it expires. */
interface Verified {
  tenantId: string;
  kid: string;
  alg: string;
  exp: number;
  claims: AccessTokenClaims;
}

/** Verified tokens remembered (oldest dropped first); ~1 KiB each. */
const VERIFIED_CACHE_SIZE = 10_000;

export class AccessTokens {
  // A client presents the same access token on every call until it expires; verifying its signature once
  // is enough (measured: the signature check was most of what GET /v2/me cost). Keyed by the exact token
  // string, so only a token that jose accepted can hit, and only for the tenant it was verified for. A hit
  // still checks expiry and that the signing key is still published, so rotation and its grace period
  // behave as without the cache. Revocation is the session check's job, cached or not.
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly keys: KeyStore,
    private readonly lifetimes: Pick<TenantLifetimes, 'of'>,
    private readonly alg: SigningAlg = 'EdDSA',
  ) {}

  /** The lifetime of the tenant's access tokens, in seconds (what `expires_in` says). */
  ttlSecondsFor(tenant: Tenant): number {
    return this.lifetimes.of(tenant).accessTokenSeconds;
  }

  async issue(input: IssueAccessToken): Promise<string> {
    const key = await this.keys.signingKey(input.tenant.id, this.alg);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      ...input.claims,
      iss: input.tenant.issuer,
      sub: input.subject,
      aud: input.audience ?? ownAudience(input.tenant),
      iat: now,
      exp: now + (input.ttlSeconds ?? this.ttlSecondsFor(input.tenant)),
      jti: randomUUID(),
      tid: input.tenant.id,
    };
    if (input.sessionId) claims.sid = input.sessionId;
    if (input.scope !== undefined) claims.scope = input.scope;
    if (input.amr) {
      claims.amr = input.amr;
      claims.acr = acrOf(input.amr);
    }
    if (input.clientId) claims.client_id = input.clientId;
    return signCompactJws({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, claims, key.privateKey);
  }

  /**
   * Verifies signature, algorithm, issuer, type, expiry, tenant and audience (our own APIs', unless
   * `anyAudience`: introspection and revocation take tokens of every resource); throws InvalidTokenError
   * otherwise. The audience is checked on every call, cached or not: the cache holds what jose verified,
   * whatever the audience, and each caller applies its own.
   */
  async verify(
    token: string,
    tenant: Tenant,
    options: { anyAudience?: boolean } = {},
  ): Promise<AccessTokenClaims> {
    const claims = await this.verifyCached(token, tenant);
    if (!options.anyAudience && !hasAudience(claims, ownAudience(tenant)))
      throw new InvalidTokenError('The access token is for another audience.');
    return claims;
  }

  private async verifyCached(token: string, tenant: Tenant): Promise<AccessTokenClaims> {
    const known = this.verified.get(token);
    if (known && known.tenantId === tenant.id) {
      if (known.exp <= Math.floor(Date.now() / 1000)) {
        this.verified.delete(token);
        throw new InvalidTokenError('The access token has expired.');
      }
      const key = await this.keys.verificationKey(tenant.id, known.kid);
      if (key && key.alg === known.alg) return known.claims;
      this.verified.delete(token);
      throw new InvalidTokenError();
    }
    const claims = await this.verifySignature(token, tenant);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, { tenantId: tenant.id, ...claims });
    return claims.claims;
  }

  private async verifySignature(token: string, tenant: Tenant): Promise<Omit<Verified, 'tenantId'>> {
    let kid: string | undefined;
    let alg: string | undefined;
    try {
      ({ kid, alg } = decodeProtectedHeader(token));
    } catch {
      throw new InvalidTokenError('The access token is malformed.');
    }
    if (!alg || !ACCEPTED_ALGS.includes(alg) || typeof kid !== 'string') throw new InvalidTokenError();
    const key = await this.keys.verificationKey(tenant.id, kid);
    if (!key || key.alg !== alg) throw new InvalidTokenError();
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, key.publicKey, {
        algorithms: [key.alg],
        issuer: tenant.issuer,
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      });
      if (payload.tid !== tenant.id) throw new InvalidTokenError();
      // Shared by every request that presents this token: nobody may change it.
      if (Array.isArray(payload.amr)) Object.freeze(payload.amr);
      if (Array.isArray(payload.aud)) Object.freeze(payload.aud);
      return { kid, alg, exp: payload.exp!, claims: Object.freeze(payload) };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof joseErrors.JWTExpired)
        throw new InvalidTokenError('The access token has expired.');
      throw new InvalidTokenError();
    }
  }
}

function hasAudience(claims: AccessTokenClaims, audience: string): boolean {
  return Array.isArray(claims.aud) ? claims.aud.includes(audience) : claims.aud === audience;
}
