// Browser sessions: the cookie a sign-in sets, read back on every page and API call of the same site,
// extended while in use, ended on logout. The hosted pages, the OpenID provider and /v2/session share it.
import type { SessionCache } from '../cache/session-cache.js';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import {
  createSession,
  findBrowserSession,
  type SessionRow,
  type SessionWithUser,
} from '../db/repositories/sessions.js';
import type { UserRow } from '../db/repositories/users.js';
import { auditEvents } from '../audit/events.js';
import type { AuthEvents } from '../observability/metrics.js';
import type { Lifetimes, TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { auditMeta, publicUser, type PublicUser, type RequestMeta } from './public.js';
import type { SessionAccess } from './session-access.js';

export interface BrowserSessionsDeps {
  db: Database;
  lifetimes: Pick<TenantLifetimes, 'of'>;
  accessTokens: AccessTokens;
  sessionAccess: SessionAccess;
  sessionCache?: SessionCache;
  events: AuthEvents;
}

/** A browser session just started: the cookie value is shown to the browser only. */
export interface BrowserLogin {
  cookie: string;
  session: SessionRow;
  user: PublicUser;
}

/** What every new session records, API or browser: who, how they signed in, from where, for how long. */
export function newSession(
  tenant: Tenant,
  user: UserRow,
  signIn: { amr: readonly string[] },
  meta: RequestMeta,
  lifetimes: Lifetimes,
) {
  return {
    tenantId: tenant.id,
    userId: user.id,
    amr: [...signIn.amr],
    ip: meta.ip,
    userAgent: meta.userAgent?.slice(0, 512) ?? null,
    ttlMs: lifetimes.sessionTtlMs,
    idleTtlMs: lifetimes.sessionIdleTtlMs,
  };
}

/** The session cookie's Max-Age: as long as its session can live (the tenant's session lifetime). */
export function cookieMaxAgeSeconds(session: Pick<SessionRow, 'expires_at'>): number {
  return Math.max(0, Math.floor((session.expires_at.getTime() - Date.now()) / 1000));
}

/** How often a browser session's idle deadline is extended (the repository's "once a minute"). */
const TOUCH_MS = 60_000;

export class BrowserSessions {
  constructor(private readonly deps: BrowserSessionsDeps) {}

  async start(
    tenant: Tenant,
    user: UserRow,
    signIn: { method: string; amr: readonly string[] },
    meta: RequestMeta,
  ): Promise<BrowserLogin> {
    const cookie = newOpaqueToken();
    const session = await createSession(
      this.deps.db,
      {
        ...newSession(tenant, user, signIn, meta, this.deps.lifetimes.of(tenant)),
        kind: 'browser',
        cookieHash: hashToken(cookie),
      },
      null,
      { type: auditEvents.userLogin, data: { method: signIn.method, kind: 'browser' } },
    );
    // The new session is the user's last sign-in (lastLoginSql), which cached sessions of this user show.
    await this.deps.sessionAccess.invalidateUser(tenant.id, user.id);
    return { cookie, session, user: publicUser(user) };
  }

  /** The live session of a cookie value, or null. */
  async current(tenant: Tenant, cookie: string | undefined): Promise<SessionWithUser | null> {
    if (!looksLikeOpaqueToken(cookie)) return null;
    const cookieHash = hashToken(cookie);
    const idleTtlMs = this.deps.lifetimes.of(tenant).sessionIdleTtlMs;
    const read = () => findBrowserSession(this.deps.db, tenant.id, cookieHash, idleTtlMs);
    const cache = this.deps.sessionCache;
    // The read extends the idle deadline at most once a minute; a cached session older than that is read
    // again so the extension still happens.
    return cache
      ? cache.byCookieHash(
          tenant.id,
          cookieHash,
          read,
          (s) => Date.now() - s.last_seen_at.getTime() > TOUCH_MS,
        )
      : read();
  }

  /** An access token for the browser session (SPAs on the same site). */
  async accessToken(
    tenant: Tenant,
    session: SessionWithUser,
  ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const accessToken = await this.deps.accessTokens.issue({
      tenant,
      subject: session.user_id,
      sessionId: session.id,
      amr: session.amr,
      scope: '',
    });
    this.deps.events.tokenIssued('session');
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.deps.accessTokens.ttlSecondsFor(tenant),
    };
  }

  async end(tenant: Tenant, session: SessionWithUser, meta: RequestMeta): Promise<void> {
    await this.deps.sessionAccess.revokeSessions(tenant, { sessionId: session.id }, 'logout');
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: auditEvents.userLogout,
      userId: session.user_id,
      ...auditMeta(meta),
    });
  }
}
