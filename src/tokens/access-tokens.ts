// Access tokens: JWTs in the RFC 9068 shape (typ at+jwt; iss, sub, aud, exp, iat, jti, client_id, scope)
// plus HelloJohn's top-level tid, sid, amr. Signed with the tenant's active key (EdDSA by default).
import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { signCompactJws } from '../crypto/jws.js';
import { HelloJohnError } from '../errors.js';
import type { KeyStore, SigningAlg } from '../keys/key-store.js';
import type { Tenant } from '../tenants/tenants.js';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  tid: string;
  sid?: string;
  scope?: string;
  amr?: string[];
  client_id?: string;
}

export interface IssueAccessToken {
  tenant: Tenant;
  subject: string;
  sessionId?: string;
  scope?: string;
  amr?: string[];
  clientId?: string;
  audience?: string;
}

export class InvalidTokenError extends HelloJohnError {
  override readonly name = 'InvalidTokenError';
  constructor(description = 'The access token is invalid or expired.') {
    super('invalid_token', description);
  }
}

const ACCEPTED_ALGS: readonly string[] = ['EdDSA', 'RS256', 'ES256'];

export class AccessTokens {
  constructor(
    private readonly keys: KeyStore,
    private readonly ttlMs: number,
    private readonly alg: SigningAlg = 'EdDSA',
  ) {}

  get ttlSeconds(): number {
    return Math.floor(this.ttlMs / 1000);
  }

  async issue(input: IssueAccessToken): Promise<string> {
    const key = await this.keys.signingKey(input.tenant.id, this.alg);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: input.tenant.issuer,
      sub: input.subject,
      aud: input.audience ?? input.tenant.issuer,
      iat: now,
      exp: now + this.ttlSeconds,
      jti: randomUUID(),
      tid: input.tenant.id,
    };
    if (input.sessionId) claims.sid = input.sessionId;
    if (input.scope !== undefined) claims.scope = input.scope;
    if (input.amr) claims.amr = input.amr;
    if (input.clientId) claims.client_id = input.clientId;
    return signCompactJws({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }, claims, key.privateKey);
  }

  /** Verifies signature, algorithm, issuer, type, expiry and tenant; throws InvalidTokenError otherwise. */
  async verify(token: string, tenant: Tenant): Promise<AccessTokenClaims> {
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
      return payload;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof joseErrors.JWTExpired)
        throw new InvalidTokenError('The access token has expired.');
      throw new InvalidTokenError();
    }
  }
}
