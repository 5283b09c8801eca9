// Token revocation (RFC 7009) and introspection (RFC 7662): which session a client's token belongs to,
// and what a client may learn of a token.
import { auditMeta, type RequestMeta } from '../auth/public.js';
import type { SessionAccess } from '../auth/session-access.js';
import { auditEvents } from '../audit/events.js';
import type { Client } from '../clients/clients.js';
import { hashToken, looksLikeOpaqueToken } from '../crypto/tokens.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { findRefreshToken } from '../db/repositories/oauth.js';
import type { Tenant } from '../tenants/tenants.js';
import { InvalidTokenError, type AccessTokens } from '../tokens/access-tokens.js';
import { InvalidClient } from './errors.js';

export interface TokenIntrospectionDeps {
  db: Database;
  accessTokens: AccessTokens;
  sessionAccess: SessionAccess;
}

export class TokenIntrospection {
  constructor(private readonly deps: TokenIntrospectionDeps) {}

  /** RFC 7009: ends the grant behind a refresh or access token of this client. Unknown tokens are fine. */
  async revoke(tenant: Tenant, client: Client, token: string, meta: RequestMeta): Promise<void> {
    const sessionId = await this.sessionOfToken(tenant, client, token);
    if (!sessionId) return;
    await this.deps.sessionAccess.revokeSessions(tenant, { sessionId }, 'revoked_by_client');
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: auditEvents.oauthTokenRevoked,
      ...auditMeta(meta),
      data: { client_id: client.clientId, session_id: sessionId },
    });
  }

  /** RFC 7662 for confidential clients: their own tokens, or (resource servers) any of the tenant (§4). */
  async introspect(tenant: Tenant, client: Client, token: string): Promise<Record<string, unknown>> {
    if (client.type !== 'confidential') throw new InvalidClient('Only confidential clients may introspect.');
    const inactive = { active: false };
    if (looksLikeOpaqueToken(token)) {
      const refresh = await findRefreshToken(this.deps.db, tenant.id, hashToken(token));
      if (!refresh?.active || !mayIntrospect(client, refresh.client_id)) return inactive;
      return {
        active: true,
        token_type: 'refresh_token',
        scope: refresh.scope,
        client_id: refresh.client_id ?? undefined,
        sub: refresh.user_id,
        iss: tenant.issuer,
        iat: Math.floor(refresh.created_at.getTime() / 1000),
        exp: Math.floor(refresh.expires_at.getTime() / 1000),
      };
    }
    try {
      const claims = await this.deps.accessTokens.verify(token, tenant, { anyAudience: true });
      if (!mayIntrospect(client, claims.client_id)) return inactive;
      if (claims.sid) await this.deps.sessionAccess.authenticate(tenant, token, { anyAudience: true });
      return {
        active: true,
        token_type: 'Bearer',
        scope: claims.scope,
        client_id: claims.client_id,
        sub: claims.sub,
        iss: claims.iss,
        aud: claims.aud,
        iat: claims.iat,
        exp: claims.exp,
        jti: claims.jti,
        ...(claims.sid ? { sid: claims.sid } : {}),
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) return inactive;
      throw error;
    }
  }

  private async sessionOfToken(tenant: Tenant, client: Client, token: string): Promise<string | null> {
    if (looksLikeOpaqueToken(token)) {
      const refresh = await findRefreshToken(this.deps.db, tenant.id, hashToken(token));
      return refresh && refresh.client_id === client.clientId ? refresh.session_id : null;
    }
    try {
      const claims = await this.deps.accessTokens.verify(token, tenant, { anyAudience: true });
      return claims.client_id === client.clientId && claims.sid ? claims.sid : null;
    } catch (error) {
      if (error instanceof InvalidTokenError) return null;
      throw error;
    }
  }
}

function mayIntrospect(client: Client, tokenClientId: string | null | undefined): boolean {
  return client.resourceServer || tokenClientId === client.clientId;
}
