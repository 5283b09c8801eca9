// Who is behind a request: access tokens checked against their live session (cached), the user's own
// session list, and every revocation with the cache invalidation that must follow it.
import type { Invalidation } from '../cache/invalidation.js';
import type { SessionCache } from '../cache/session-cache.js';
import type { Clients } from '../clients/clients.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import {
  findLiveSession,
  listLiveSessions,
  revokeSessions,
  type SessionWithUser,
} from '../db/repositories/sessions.js';
import { HelloJohnError } from '../errors.js';
import { auditEvents } from '../audit/events.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokenClaims, AccessTokens } from '../tokens/access-tokens.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import { auditMeta, publicSession, type PublicSession, type PublicUser, type RequestMeta } from './public.js';

export interface SessionAccessDeps {
  db: Database;
  accessTokens: AccessTokens;
  /** Live sessions kept in memory; every lookup reads the database when absent. */
  sessionCache?: SessionCache;
  /** Where revocations and user changes are announced to every cache (this instance's and others'). */
  invalidation?: Invalidation;
  /** Tells first-party clients (whose tokens the account API accepts) from third-party ones. */
  clients: Pick<Clients, 'get'>;
}

export interface Authenticated {
  claims: AccessTokenClaims;
  session: SessionWithUser;
}

export class SessionAccess {
  constructor(private readonly deps: SessionAccessDeps) {}

  /**
   * Verifies a bearer access token and that its session is still live. Only tokens for our own APIs
   * (AccessTokens.verify) unless `anyAudience` (introspection, which answers for every resource).
   */
  async authenticate(
    tenant: Tenant,
    accessToken: string,
    options: { anyAudience?: boolean } = {},
  ): Promise<Authenticated> {
    const claims = await this.deps.accessTokens.verify(accessToken, tenant, options);
    if (!claims.sid) throw new InvalidTokenError('The access token is not tied to a user session.');
    const { sid, sub } = claims;
    const read = () => findLiveSession(this.deps.db, tenant.id, sid, sub);
    const cache = this.deps.sessionCache;
    const session = cache ? await cache.bySessionId(tenant.id, sid, read) : await read();
    if (!session || session.user_id !== sub)
      throw new InvalidTokenError('The session of this access token has ended.');
    return { claims, session };
  }

  /**
   * `authenticate` for the first-party account API (profile, sessions, logout everywhere, verification
   * mail). That API is the user's own: a token a third-party OAuth client got through consent is limited
   * to its scopes and its own endpoints (UserInfo), so it does not open it; a first-party client's does.
   */
  async authenticateAccount(tenant: Tenant, accessToken: string): Promise<Authenticated> {
    const authenticated = await this.authenticate(tenant, accessToken);
    const clientId = authenticated.claims.client_id;
    if (clientId !== undefined && !(await this.deps.clients.get(tenant, clientId))?.firstParty)
      throw new HelloJohnError(
        'insufficient_scope',
        'This access token was issued to a third-party application; the account API accepts tokens of the first-party API or of a first-party client.',
      );
    return authenticated;
  }

  /**
   * Revokes sessions (one, or every session of a user) and drops them from every instance's cache.
   * Returns the ids revoked. Every revocation goes through here, or through `invalidateSessions` when it
   * happens inside a caller's own transaction.
   */
  async revokeSessions(
    tenant: Tenant,
    where: { sessionId?: string; userId?: string; keepSessionId?: string },
    reason: string,
  ): Promise<string[]> {
    const revoked = await revokeSessions(this.deps.db, tenant.id, where, reason);
    await this.invalidateSessions(tenant.id, revoked);
    return revoked;
  }

  /** Tells every cache these sessions ended; call it after the transaction that revoked them commits. */
  async invalidateSessions(tenantId: string, sessionIds: readonly string[]): Promise<void> {
    if (sessionIds.length > 0) await this.deps.invalidation?.publish('session', tenantId, sessionIds);
  }

  /** Tells every cache a user changed (blocked, email, profile): their cached sessions are read again. */
  async invalidateUser(tenantId: string, userId: string): Promise<void> {
    await this.deps.invalidation?.publish('user', tenantId, [userId]);
  }

  /** The user of an authenticated session: `authenticate` already read it, so no further query. */
  me(session: SessionWithUser): PublicUser {
    return {
      id: session.user_id,
      tenant_id: session.tenant_id,
      email: session.email,
      email_verified: session.email_verified,
      name: session.name,
      created_at: session.user_created_at.toISOString(),
      last_login_at: session.last_login_at?.toISOString() ?? null,
    };
  }

  async list(tenant: Tenant, userId: string, currentSessionId?: string): Promise<PublicSession[]> {
    const rows = await listLiveSessions(this.deps.db, tenant.id, userId);
    return rows.map((row) => publicSession(row, currentSessionId));
  }

  async revokeOwn(tenant: Tenant, userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    const revoked = await this.revokeSessions(tenant, { sessionId, userId }, 'revoked_by_user');
    if (revoked.length === 0) throw new HelloJohnError('not_found', 'No such session.');
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: auditEvents.sessionRevoked,
      userId,
      ...auditMeta(meta),
      data: { session_id: sessionId },
    });
  }
}
