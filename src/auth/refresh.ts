// Refresh tokens: rotation on every use, reuse detection (a rotated token presented again ends its whole
// family), and logout by refresh token or bearer.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import {
  findRotatedRefreshToken,
  findSessionByRefreshToken,
  rotateRefreshToken,
  type RotatedRefresh,
} from '../db/repositories/sessions.js';
import { HelloJohnError } from '../errors.js';
import { auditEvents } from '../audit/events.js';
import type { AuthEvents } from '../observability/metrics.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokenClaims, AccessTokens } from '../tokens/access-tokens.js';
import { auditMeta, tokenResponse, type RequestMeta, type TokenResponse } from './public.js';
import type { SessionAccess } from './session-access.js';

export interface RefreshTokensDeps {
  db: Database;
  tokens: Pick<Config['tokens'], 'refreshReuseDetection'>;
  lifetimes: Pick<TenantLifetimes, 'of'>;
  limits: RequestLimits;
  accessTokens: AccessTokens;
  sessionAccess: SessionAccess;
  events: AuthEvents;
  logger: Logger;
}

// A token passed for the wrong purpose, tenant or after use: one answer for all.
export const invalidRefreshToken = () =>
  new HelloJohnError('invalid_grant', 'The refresh token is invalid, expired or revoked.');

export class RefreshTokens {
  constructor(private readonly deps: RefreshTokensDeps) {}

  /** The first-party API's refresh: a new access token and the rotated refresh token. */
  async refresh(tenant: Tenant, refreshToken: unknown, meta: RequestMeta): Promise<TokenResponse> {
    // The first-party API has no client to count, so like a public OAuth client it is counted per address.
    await this.deps.limits.checkIp('refresh', meta.ip);
    const { rotated, refreshToken: next } = await this.rotate(tenant, refreshToken, meta, null);
    const accessToken = await this.deps.accessTokens.issue({
      tenant,
      subject: rotated.user_id,
      sessionId: rotated.session_id,
      amr: rotated.amr,
      scope: rotated.scope,
      clientId: rotated.client_id ?? undefined,
    });
    this.deps.events.tokenIssued('refresh_token');
    return tokenResponse(accessToken, next, this.deps.accessTokens.ttlSecondsFor(tenant));
  }

  /**
   * Exchanges a refresh token for its successor (one statement), for the first-party API (clientId null)
   * or an OAuth client (tokens are bound to the client they were issued to). A rotated token presented
   * again revokes its whole family. Throws invalid_grant when the token is not live. Rate limits are the
   * caller's: per address for the first-party API, per client at the token endpoint.
   */
  async rotate(
    tenant: Tenant,
    refreshToken: unknown,
    meta: RequestMeta,
    clientId: string | null,
  ): Promise<{ rotated: RotatedRefresh; refreshToken: string }> {
    if (!looksLikeOpaqueToken(refreshToken)) throw invalidRefreshToken();
    const oldHash = hashToken(refreshToken);
    const next = newOpaqueToken();
    const lifetimes = this.deps.lifetimes.of(tenant);
    const rotated = await rotateRefreshToken(
      this.deps.db,
      tenant.id,
      oldHash,
      hashToken(next),
      lifetimes.refreshTtlMs,
      lifetimes.sessionIdleTtlMs,
      clientId,
    );
    if (!rotated) {
      if (this.deps.tokens.refreshReuseDetection) await this.detectReuse(tenant, oldHash, meta, clientId);
      throw invalidRefreshToken();
    }
    return { rotated, refreshToken: next };
  }

  /** Ends the session of a refresh token, or with `all`, every session of its (or the bearer's) user. */
  async logout(
    tenant: Tenant,
    input: { refreshToken?: unknown; all?: boolean; bearer?: AccessTokenClaims },
    meta: RequestMeta,
  ): Promise<number> {
    let userId = input.bearer?.sub;
    let sessionId = input.bearer?.sid;
    if (input.refreshToken !== undefined) {
      if (!looksLikeOpaqueToken(input.refreshToken)) throw invalidRefreshToken();
      const tokenHash = hashToken(input.refreshToken);
      const session = await findSessionByRefreshToken(this.deps.db, tenant.id, tokenHash);
      if (!session) {
        // A superseded token is a copy someone kept: the same reuse as at /refresh, and it ends nothing else.
        if (this.deps.tokens.refreshReuseDetection) await this.detectReuse(tenant, tokenHash, meta, null);
        throw invalidRefreshToken();
      }
      userId = session.user_id;
      sessionId = session.id;
    }
    if (!userId)
      throw new HelloJohnError('invalid_request', 'Send a refresh_token or an Authorization header.');
    const revoked = await this.deps.sessionAccess.revokeSessions(
      tenant,
      input.all ? { userId } : { sessionId, userId },
      input.all ? 'logout_all' : 'logout',
    );
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: input.all ? auditEvents.userLogoutAll : auditEvents.userLogout,
      userId,
      ...auditMeta(meta),
      data: { sessions: revoked.length },
    });
    return revoked.length;
  }

  /**
   * A rotated token presented again by the client it was issued to (null: the first-party API): someone
   * holds a copy. End the whole family (the session). Presented by another client it is only refused:
   * a refusal changes nothing, so another client cannot end someone's session with a leaked token.
   */
  private async detectReuse(
    tenant: Tenant,
    tokenHash: Buffer,
    meta: RequestMeta,
    clientId: string | null,
  ): Promise<void> {
    const reused = await findRotatedRefreshToken(this.deps.db, tenant.id, tokenHash, clientId);
    if (!reused) return;
    const revoked = await this.deps.sessionAccess.revokeSessions(
      tenant,
      { sessionId: reused.session_id },
      'refresh_token_reuse',
    );
    this.deps.events.refreshReuseDetected();
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: auditEvents.refreshTokenReuseDetected,
      userId: reused.user_id,
      ...auditMeta(meta),
      data: { session_id: reused.session_id, revoked: revoked.length > 0 },
    });
    this.deps.logger.warn(
      { tenant: tenant.slug, session_id: reused.session_id },
      'refresh token reuse detected; session revoked',
    );
  }
}
