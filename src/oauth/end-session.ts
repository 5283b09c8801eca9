// OpenID Connect RP-Initiated Logout 1.0: whether a logout request ends the session at once, asks the
// user first, or is refused; and where the browser goes afterwards.
import { auditMeta, type RequestMeta } from '../auth/public.js';
import type { SessionAccess } from '../auth/session-access.js';
import { auditEvents } from '../audit/events.js';
import type { Clients } from '../clients/clients.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import type { Tenant } from '../tenants/tenants.js';
import { singleValued } from './authorize/index.js';
import { InvalidRequest, OAuthError } from './errors.js';
import type { IdTokens } from './id-tokens.js';
import type { SignedIn } from './interaction-policy.js';
import { registeredUri } from './redirect-uris.js';

export type LogoutOutcome =
  | { kind: 'error_page'; error: OAuthError }
  | { kind: 'confirm'; params: Record<string, string> }
  | { kind: 'done'; endSessionId: string | null; redirectTo: string | null };

export interface EndSessionsDeps {
  db: Database;
  clients: Pick<Clients, 'get'>;
  idTokens: IdTokens;
  sessionAccess: SessionAccess;
}

export class EndSessions {
  constructor(private readonly deps: EndSessionsDeps) {}

  /**
   * OpenID Connect RP-Initiated Logout 1.0. A valid id_token_hint for the signed-in user ends the session
   * at once; otherwise the user confirms first (`confirmed`), so a third-party page cannot sign people
   * out. post_logout_redirect_uri must name a registered one of the client (redirect-uris.ts); otherwise no
   * redirect.
   */
  async logout(
    tenant: Tenant,
    raw: Record<string, string | string[] | undefined>,
    session: SignedIn | null,
    confirmed: boolean,
  ): Promise<LogoutOutcome> {
    try {
      const params = singleValued(raw);
      const hint = params.id_token_hint
        ? await this.deps.idTokens.verifyHint(tenant, params.id_token_hint)
        : null;
      // The hint must be an ID token issued to one client of this tenant (the one named, if any).
      if (params.id_token_hint && (!hint || hint.aud.length !== 1))
        throw new InvalidRequest('The id_token_hint is not valid.');
      if (params.client_id && hint && !hint.aud.includes(params.client_id))
        throw new InvalidRequest('The client_id does not match the id_token_hint.');
      const clientId = params.client_id ?? hint?.aud[0];
      const client = clientId ? await this.deps.clients.get(tenant, clientId) : null;
      if (hint && !client) throw new InvalidRequest('The id_token_hint is not valid.');

      let redirectTo: string | null = null;
      const uri = params.post_logout_redirect_uri;
      if (uri !== undefined) {
        if (!client)
          throw new InvalidRequest('post_logout_redirect_uri needs a client_id or an id_token_hint.');
        const registered = registeredUri(client.postLogoutRedirectUris, uri);
        if (registered === undefined)
          throw new InvalidRequest('The post_logout_redirect_uri is not registered for this client.');
        const target = new URL(registered);
        if (params.state !== undefined) target.searchParams.set('state', params.state);
        redirectTo = target.href;
      }

      const hintMatches = hint !== null && session !== null && hint.sub === session.userId;
      if (session && !confirmed && !hintMatches) return { kind: 'confirm', params };
      return { kind: 'done', endSessionId: session?.sessionId ?? null, redirectTo };
    } catch (error) {
      if (error instanceof OAuthError) return { kind: 'error_page', error };
      throw error;
    }
  }

  async end(tenant: Tenant, session: SignedIn, meta: RequestMeta): Promise<void> {
    await this.deps.sessionAccess.revokeSessions(tenant, { sessionId: session.sessionId }, 'logout');
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: auditEvents.userLogout,
      userId: session.userId,
      ...auditMeta(meta),
      data: { via: 'oauth2/logout' },
    });
  }
}
