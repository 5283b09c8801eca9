// First-party authentication: registration, password login (API tokens or a browser session), refresh
// rotation with reuse detection, logout, password reset and email verification. No HTTP types here:
// routes hand in plain values and get plain values or HelloJohnErrors back.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Invalidation } from '../cache/invalidation.js';
import type { SessionCache } from '../cache/session-cache.js';
import type { Clients } from '../clients/clients.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database, Queryable } from '../db/database.js';
import { insertAuditEvent, type AuditEvent } from '../db/repositories/audit.js';
import {
  consumeEmailToken,
  findLiveEmailToken,
  insertEmailToken,
  type EmailTokenPurpose,
} from '../db/repositories/email-tokens.js';
import {
  createSession,
  findBrowserSession,
  findLiveSession,
  findRotatedRefreshToken,
  findSessionByRefreshToken,
  listLiveSessions,
  revokeSessions,
  rotateRefreshToken,
  type RotatedRefresh,
  type ListedSessionRow,
  type SessionRow,
  type SessionWithUser,
} from '../db/repositories/sessions.js';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  markEmailVerified,
  replacePasswordHash,
  updatePasswordHash,
  type UserRow,
} from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import type { EmailMessage } from '../mail/mailer.js';
import type { MailOutbox } from '../mail/outbox.js';
import { passwordResetEmail, verificationEmail } from '../mail/templates.js';
import type { LoginAttempt, LoginLockout } from '../security/rate-limit.js';
import { RateLimitedError } from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import { noAuthEvents, type AuthEvents } from '../observability/metrics.js';
import type { Tenant } from '../tenants/tenants.js';
import { hasControlOrBidi } from '../text-rules.js';
import type { AccessTokenClaims, AccessTokens } from '../tokens/access-tokens.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import type { EmailFingerprint } from './audit-fingerprint.js';
import { accountKeys, normalizedEmail, parseEmailAddress } from './email-address.js';
import {
  defaultPolicy,
  policyFor,
  type PasswordPolicy,
  type PasswordPolicyChecker,
  WeakPasswordError,
} from './password-policy.js';

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface PublicUser {
  id: string;
  tenant_id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  created_at: string;
  last_login_at: string | null;
}

export interface PublicSession {
  id: string;
  kind: 'api' | 'browser';
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
  /** The OAuth client this session was issued to (null: the first-party API or a browser). */
  client_id: string | null;
  /** An offline grant (offline_access): it outlives the browser session it was started from. */
  offline: boolean;
}

export interface AuthServiceDeps {
  db: Database;
  config: Config;
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
  accessTokens: AccessTokens;
  outbox: MailOutbox;
  limits: RequestLimits;
  lockout: LoginLockout;
  logger: Logger;
  /** Counters for monitoring (metrics); a no-op when absent. */
  events?: AuthEvents;
  /** Live sessions kept in memory; every lookup reads the database when absent. */
  sessionCache?: SessionCache;
  /** Where revocations and user changes are announced to every cache (this instance's and others'). */
  invalidation?: Invalidation;
  /** Tells first-party clients (whose tokens the account API accepts) from third-party ones. */
  clients: Pick<Clients, 'get'>;
  /** What failed-login audit events keep of an address that matches no account. */
  emailFingerprint: EmailFingerprint;
}

const invalidCredentials = () => new HelloJohnError('invalid_credentials', 'Invalid email or password.');
/** How often a browser session's idle deadline is extended (the repository's "once a minute"). */
const TOUCH_MS = 60_000;

export class AuthService {
  private readonly events: AuthEvents;

  constructor(private readonly deps: AuthServiceDeps) {
    this.events = deps.events ?? noAuthEvents;
  }

  passwordPolicy(tenant: Tenant): PasswordPolicy {
    return policyFor(tenant.settings, defaultPolicy(this.deps.config.passwords));
  }

  async register(
    tenant: Tenant,
    input: { email: string; password: string; name?: string | null },
    meta: RequestMeta,
  ): Promise<{ user: PublicUser; tokens: TokenResponse | null }> {
    await this.deps.limits.checkIp('register', meta.ip);
    const { email, emailNormalized, otherKeys, name, passwordHash } = await prepareNewUser(
      this.deps,
      this.passwordPolicy(tenant),
      input,
    );
    // One transaction: a failure part-way (the database going away) leaves no account without its audit
    // event, verification link or session, so nothing is half-written and a retry is not "email taken".
    const refreshToken = this.deps.config.auth.registerAutoLogin ? newOpaqueToken() : null;
    const { user, message, session } = await this.deps.db.transaction(async (tx) => {
      const user = await insertUser(tx, {
        tenantId: tenant.id,
        email,
        emailNormalized,
        otherKeys,
        passwordHash,
        name,
      });
      if (!user)
        throw new HelloJohnError('email_taken', 'An account with this email address already exists.');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: 'user.registered',
        userId: user.id,
        ...metaOf(meta),
      });
      const message = await this.emailMessage(tx, tenant, user, 'verify_email');
      const session = refreshToken
        ? await this.createApiSession(tx, tenant, user, meta, 'user.login', refreshToken)
        : null;
      return { user, message, session };
    });
    // The email and the access token only once the rows are committed.
    this.deps.outbox.enqueue(message);
    const tokens = session && refreshToken ? await this.apiTokens(tenant, user, session, refreshToken) : null;
    return { user: publicUser(user), tokens };
  }

  /** Password login that returns API tokens. */
  async login(
    tenant: Tenant,
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const user = await this.verifyPassword(tenant, input, meta);
    const tokens = await this.startApiSession(tenant, user, meta, 'user.login');
    // The login stamped last_login_at, which cached sessions of this user show.
    await this.invalidateUser(tenant.id, user.id);
    return tokens;
  }

  /** Password login that starts a browser session; returns the cookie value (shown to the browser only). */
  async browserLogin(
    tenant: Tenant,
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<{ cookie: string; session: SessionRow; user: PublicUser }> {
    const user = await this.verifyPassword(tenant, input, meta);
    const cookie = newOpaqueToken();
    const session = await createSession(
      this.deps.db,
      { ...this.sessionBase(tenant, user, meta), kind: 'browser', cookieHash: hashToken(cookie) },
      null,
      { type: 'user.login', data: { method: 'password', kind: 'browser' } },
    );
    await this.invalidateUser(tenant.id, user.id);
    return { cookie, session, user: publicUser(user) };
  }

  async refresh(tenant: Tenant, refreshToken: unknown, meta: RequestMeta): Promise<TokenResponse> {
    // The first-party API has no client to count, so like a public OAuth client it is counted per address.
    await this.deps.limits.checkIp('refresh', meta.ip);
    const { rotated, refreshToken: next } = await this.rotateRefreshToken(tenant, refreshToken, meta, null);
    const accessToken = await this.deps.accessTokens.issue({
      tenant,
      subject: rotated.user_id,
      sessionId: rotated.session_id,
      amr: rotated.amr,
      scope: rotated.scope,
      clientId: rotated.client_id ?? undefined,
    });
    this.events.tokenIssued('refresh_token');
    return tokenResponse(accessToken, next, this.deps.accessTokens.ttlSeconds);
  }

  /**
   * Exchanges a refresh token for its successor (one statement), for the first-party API (clientId null)
   * or an OAuth client (tokens are bound to the client they were issued to). A rotated token presented
   * again revokes its whole family. Throws invalid_grant when the token is not live. Rate limits are the
   * caller's: per address for the first-party API, per client at the token endpoint.
   */
  async rotateRefreshToken(
    tenant: Tenant,
    refreshToken: unknown,
    meta: RequestMeta,
    clientId: string | null,
  ): Promise<{ rotated: RotatedRefresh; refreshToken: string }> {
    if (!looksLikeOpaqueToken(refreshToken)) throw invalidGrant();
    const oldHash = hashToken(refreshToken);
    const next = newOpaqueToken();
    const { tokens, sessions } = this.deps.config;
    const rotated = await rotateRefreshToken(
      this.deps.db,
      tenant.id,
      oldHash,
      hashToken(next),
      tokens.refreshTtlMs,
      sessions.idleTtlMs,
      clientId,
    );
    if (!rotated) {
      if (tokens.refreshReuseDetection) await this.detectReuse(tenant, oldHash, meta, clientId);
      throw invalidGrant();
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
      if (!looksLikeOpaqueToken(input.refreshToken)) throw invalidGrant();
      const tokenHash = hashToken(input.refreshToken);
      const session = await findSessionByRefreshToken(this.deps.db, tenant.id, tokenHash);
      if (!session) {
        // A superseded token is a copy someone kept: the same reuse as at /refresh, and it ends nothing else.
        if (this.deps.config.tokens.refreshReuseDetection)
          await this.detectReuse(tenant, tokenHash, meta, null);
        throw invalidGrant();
      }
      userId = session.user_id;
      sessionId = session.id;
    }
    if (!userId)
      throw new HelloJohnError('invalid_request', 'Send a refresh_token or an Authorization header.');
    const revoked = await this.revokeSessions(
      tenant,
      input.all ? { userId } : { sessionId, userId },
      input.all ? 'logout_all' : 'logout',
    );
    await this.audit({
      tenantId: tenant.id,
      type: input.all ? 'user.logout_all' : 'user.logout',
      userId,
      ...metaOf(meta),
      data: { sessions: revoked.length },
    });
    return revoked.length;
  }

  /**
   * Always succeeds from the caller's point of view; sends a reset link when the account exists. Only the
   * rate limits run before the answer: the lookup, the audit event and the token are prepared after it,
   * so not even the answer's timing tells whether the account exists.
   */
  async forgotPassword(tenant: Tenant, email: string, meta: RequestMeta): Promise<void> {
    await this.deps.limits.checkIp('forgot', meta.ip);
    const keys = accountKeys(email);
    if (keys.length === 0) return;
    await this.deps.limits.checkAccount(
      'forgot',
      `${tenant.id}:${normalizedEmail(email) ?? 'refused-address'}`,
    );
    this.emailAfterAnswer(tenant, 'reset_password', 'password.reset_requested', meta, async () => {
      const user = await findUserByEmail(this.deps.db, tenant.id, keys);
      return user && !user.blocked ? user : null;
    });
  }

  /** Whether a reset link still works, without spending it: the page says so when it is opened. */
  async resetLinkLive(tenant: Tenant, token: unknown): Promise<boolean> {
    if (!looksLikeOpaqueToken(token)) return false;
    try {
      await this.userOfLiveEmailToken(tenant, 'reset_password', hashToken(token));
      return true;
    } catch (error) {
      if (error instanceof HelloJohnError && error.code === 'invalid_grant') return false;
      throw error;
    }
  }

  async resetPassword(tenant: Tenant, token: unknown, password: string, meta: RequestMeta): Promise<void> {
    if (!looksLikeOpaqueToken(token)) throw invalidEmailToken();
    const tokenHash = hashToken(token);
    // Check the password before spending the token, so a weak choice does not burn the link.
    const user = await this.userOfLiveEmailToken(tenant, 'reset_password', tokenHash);
    const violations = await this.deps.passwordChecker.check(password, this.passwordPolicy(tenant), {
      email: user.email,
      name: user.name ?? undefined,
    });
    if (violations.length > 0) throw new WeakPasswordError(violations);
    const passwordHash = await this.deps.hasher.hash(password);
    // Revoked inside the transaction, so the new password and the end of the old sessions are one change;
    // caches are told once it is committed (earlier, another instance could re-read the old state).
    const revoked = await this.deps.db.transaction(async (tx) => {
      const consumed = await consumeEmailToken(tx, tenant.id, 'reset_password', tokenHash);
      if (!consumed || consumed.user_id !== user.id) throw invalidEmailToken();
      await updatePasswordHash(tx, tenant.id, user.id, passwordHash);
      // Whoever could read the inbox has proven control of the address.
      await markEmailVerified(tx, tenant.id, user.id, consumed.email);
      const ids = await revokeSessions(tx, tenant.id, { userId: user.id }, 'password_reset');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: 'password.reset',
        userId: user.id,
        ...metaOf(meta),
      });
      return ids;
    });
    await this.invalidateSessions(tenant.id, revoked);
    await this.invalidateUser(tenant.id, user.id);
    // The owner proved control of the mailbox: a lock someone else's guessing put on the account ends.
    await this.deps.lockout.release(`${tenant.id}:${user.email_normalized}`);
  }

  /**
   * Sends a fresh verification link to the bearer's address, or to an address given by email (like
   * forgot: rate limits before the answer, everything that depends on the account after it).
   */
  async sendVerification(
    tenant: Tenant,
    target: { bearer?: AccessTokenClaims; email?: string },
    meta: RequestMeta,
  ): Promise<void> {
    await this.deps.limits.checkIp('forgot', meta.ip);
    let find: () => Promise<UserRow | null>;
    const keys = target.bearer ? [] : accountKeys(target.email);
    if (target.bearer) {
      const userId = target.bearer.sub;
      find = () => findUserById(this.deps.db, tenant.id, userId);
    } else if (keys.length > 0) {
      const limitKey = normalizedEmail(target.email) ?? 'refused-address';
      await this.deps.limits.checkAccount('forgot', `${tenant.id}:${limitKey}`);
      find = () => findUserByEmail(this.deps.db, tenant.id, keys);
    } else {
      return;
    }
    this.emailAfterAnswer(tenant, 'verify_email', 'email.verification_requested', meta, async () => {
      const user = await find();
      return user && !user.email_verified && !user.blocked ? user : null;
    });
  }

  async verifyEmail(tenant: Tenant, token: unknown, meta: RequestMeta): Promise<void> {
    if (!looksLikeOpaqueToken(token)) throw invalidEmailToken();
    const userId = await this.deps.db.transaction(async (tx) => {
      const consumed = await consumeEmailToken(tx, tenant.id, 'verify_email', hashToken(token));
      if (!consumed) throw invalidEmailToken();
      // A link sent to an address the user has since changed verifies nothing.
      if (!(await markEmailVerified(tx, tenant.id, consumed.user_id, consumed.email)))
        throw invalidEmailToken();
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: 'email.verified',
        userId: consumed.user_id,
        ...metaOf(meta),
      });
      return consumed.user_id;
    });
    // Cached sessions carry email_verified.
    await this.invalidateUser(tenant.id, userId);
  }

  /** Verifies a bearer access token and that its session is still live. */
  async authenticate(
    tenant: Tenant,
    accessToken: string,
  ): Promise<{ claims: AccessTokenClaims; session: SessionWithUser }> {
    const claims = await this.deps.accessTokens.verify(accessToken, tenant);
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
  async authenticateAccount(
    tenant: Tenant,
    accessToken: string,
  ): Promise<{ claims: AccessTokenClaims; session: SessionWithUser }> {
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
    where: { sessionId?: string; userId?: string },
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

  async sessions(tenant: Tenant, userId: string, currentSessionId?: string): Promise<PublicSession[]> {
    const rows = await listLiveSessions(this.deps.db, tenant.id, userId);
    return rows.map((row) => publicSession(row, currentSessionId));
  }

  async revokeSession(tenant: Tenant, userId: string, sessionId: string, meta: RequestMeta): Promise<void> {
    const revoked = await this.revokeSessions(tenant, { sessionId, userId }, 'revoked_by_user');
    if (revoked.length === 0) throw new HelloJohnError('not_found', 'No such session.');
    await this.audit({
      tenantId: tenant.id,
      type: 'session.revoked',
      userId,
      ...metaOf(meta),
      data: { session_id: sessionId },
    });
  }

  async browserSession(tenant: Tenant, cookie: string | undefined): Promise<SessionWithUser | null> {
    if (!looksLikeOpaqueToken(cookie)) return null;
    const cookieHash = hashToken(cookie);
    const read = () =>
      findBrowserSession(this.deps.db, tenant.id, cookieHash, this.deps.config.sessions.idleTtlMs);
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
  async browserAccessToken(
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
    this.events.tokenIssued('session');
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.deps.accessTokens.ttlSeconds };
  }

  async endBrowserSession(tenant: Tenant, session: SessionWithUser, meta: RequestMeta): Promise<void> {
    await this.revokeSessions(tenant, { sessionId: session.id }, 'logout');
    await this.audit({ tenantId: tenant.id, type: 'user.logout', userId: session.user_id, ...metaOf(meta) });
  }

  // --- internals -------------------------------------------------------------------------------------

  /**
   * Rate limits, lockout, then the password. Unknown accounts, wrong passwords and accounts without a
   * password answer identically and cost one Argon2 verification either way. The attempt holds a point
   * of the address's failure budget and of the account's (the lockout) until its password is checked;
   * a success gives both back, so only failures count.
   */
  private async verifyPassword(
    tenant: Tenant,
    input: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<UserRow> {
    await this.deps.limits.checkIp('login', meta.ip);
    // A refused address can match no account: its attempts share one key, and nothing typed is kept.
    const normalized = normalizedEmail(input.email);
    const accountKey = `${tenant.id}:${normalized ?? 'refused-address'}`;
    const addressHold = await this.deps.limits.holdFailure(meta.ip);
    let attempt: LoginAttempt;
    try {
      attempt = await this.deps.lockout.attempt(accountKey);
    } catch (error) {
      await addressHold.giveBack().catch(() => undefined);
      throw error;
    }
    if (attempt.locked) {
      // A refused attempt checks no password, so it spends nothing of the address's budget either.
      await addressHold.giveBack();
      this.events.login('locked');
      await this.audit({
        tenantId: tenant.id,
        type: 'login.locked',
        ...metaOf(meta),
        data: this.unknownAccount(tenant, normalized),
      });
      throw new RateLimitedError(attempt.retryAfterSeconds);
    }

    let user: UserRow | null;
    let ok: boolean;
    try {
      user = await findUserByEmail(this.deps.db, tenant.id, accountKeys(input.email));
      ok = user?.password_hash
        ? await this.deps.hasher.verify(user.password_hash, input.password)
        : await this.deps.hasher.verifyDummy(input.password);
    } catch (error) {
      // No verdict (the database or a hashing thread failed): the attempt gives its failure points back.
      await Promise.all([attempt.abandoned(), addressHold.giveBack()]).catch(() => undefined);
      throw error;
    }
    if (!user || !ok) {
      this.events.login('failed');
      const state = await attempt.failed();
      await this.audit({
        tenantId: tenant.id,
        type: 'login.failed',
        userId: user?.id ?? null,
        ...metaOf(meta),
        data: { ...(user ? {} : this.unknownAccount(tenant, normalized)), locked: state.locked },
      });
      throw invalidCredentials();
    }
    // A blocked account's attempt stays counted as a failure: a right password does not clear its count.
    if (user.blocked) {
      this.events.login('blocked');
      await this.audit({ tenantId: tenant.id, type: 'login.blocked', userId: user.id, ...metaOf(meta) });
      throw new HelloJohnError('access_denied', 'This account is blocked.');
    }
    await Promise.all([attempt.succeeded(), addressHold.giveBack()]);
    this.events.login('ok');
    if (this.deps.hasher.needsRehash(user.password_hash!)) {
      const rehashed = await this.deps.hasher.hash(input.password);
      await replacePasswordHash(this.deps.db, tenant.id, user.id, user.password_hash!, rehashed);
    }
    return user;
  }

  /** Audit data for an attempt on an address without an account: a keyed fingerprint, never the text. */
  private unknownAccount(tenant: Tenant, normalized: string | null): Record<string, unknown> {
    return normalized
      ? { email_fingerprint: this.deps.emailFingerprint.of(tenant.id, normalized) }
      : { email_refused: true };
  }

  private sessionBase(tenant: Tenant, user: UserRow, meta: RequestMeta) {
    return {
      tenantId: tenant.id,
      userId: user.id,
      amr: ['pwd'],
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
      ttlMs: this.deps.config.sessions.ttlMs,
      idleTtlMs: this.deps.config.sessions.idleTtlMs,
    };
  }

  private async startApiSession(
    tenant: Tenant,
    user: UserRow,
    meta: RequestMeta,
    auditType: string,
  ): Promise<TokenResponse> {
    const refreshToken = newOpaqueToken();
    const session = await this.createApiSession(this.deps.db, tenant, user, meta, auditType, refreshToken);
    return this.apiTokens(tenant, user, session, refreshToken);
  }

  private createApiSession(
    db: Queryable,
    tenant: Tenant,
    user: UserRow,
    meta: RequestMeta,
    auditType: string,
    refreshToken: string,
  ): Promise<SessionRow> {
    return createSession(
      db,
      { ...this.sessionBase(tenant, user, meta), kind: 'api' },
      { tokenHash: hashToken(refreshToken), ttlMs: this.deps.config.tokens.refreshTtlMs },
      { type: auditType, data: { method: 'password', kind: 'api' } },
    );
  }

  private async apiTokens(
    tenant: Tenant,
    user: UserRow,
    session: SessionRow,
    refreshToken: string,
  ): Promise<TokenResponse> {
    const accessToken = await this.deps.accessTokens.issue({
      tenant,
      subject: user.id,
      sessionId: session.id,
      amr: session.amr,
      scope: '',
    });
    this.events.tokenIssued('password');
    return tokenResponse(accessToken, refreshToken, this.deps.accessTokens.ttlSeconds);
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
    const revoked = await this.revokeSessions(
      tenant,
      { sessionId: reused.session_id },
      'refresh_token_reuse',
    );
    this.events.refreshReuseDetected();
    await this.audit({
      tenantId: tenant.id,
      type: 'refresh_token.reuse_detected',
      userId: reused.user_id,
      ...metaOf(meta),
      data: { session_id: reused.session_id, revoked: revoked.length > 0 },
    });
    this.deps.logger.warn(
      { tenant: tenant.slug, session_id: reused.session_id },
      'refresh token reuse detected; session revoked',
    );
  }

  private async userOfLiveEmailToken(
    tenant: Tenant,
    purpose: EmailTokenPurpose,
    tokenHash: Buffer,
  ): Promise<UserRow> {
    const userId = (await findLiveEmailToken(this.deps.db, tenant.id, purpose, tokenHash))?.user_id;
    const user = userId ? await findUserById(this.deps.db, tenant.id, userId) : null;
    if (!user || user.blocked) throw invalidEmailToken();
    return user;
  }

  /**
   * Mail whose recipient depends on whether an account exists: `recipient` (the lookup), the audit event
   * and the link's token all run after the answer (the outbox prepares them), so none of it shows in the
   * answer's content or timing. A null recipient sends nothing.
   */
  private emailAfterAnswer(
    tenant: Tenant,
    purpose: EmailTokenPurpose,
    auditType: string,
    meta: RequestMeta,
    recipient: () => Promise<UserRow | null>,
  ): void {
    this.deps.outbox.enqueueFrom(purpose, async () => {
      const user = await recipient();
      if (!user) return null;
      await this.audit({ tenantId: tenant.id, type: auditType, userId: user.id, ...metaOf(meta) });
      return this.emailMessage(this.deps.db, tenant, user, purpose);
    });
  }

  /** Stores a new email token and returns the message carrying its link (not sent yet). */
  private async emailMessage(
    db: Queryable,
    tenant: Tenant,
    user: UserRow,
    purpose: EmailTokenPurpose,
  ): Promise<EmailMessage> {
    const token = newOpaqueToken();
    const ttlMs =
      purpose === 'verify_email'
        ? this.deps.config.auth.verifyEmailTtlMs
        : this.deps.config.auth.resetPasswordTtlMs;
    await insertEmailToken(db, {
      tenantId: tenant.id,
      userId: user.id,
      purpose,
      tokenHash: hashToken(token),
      email: user.email,
      ttlMs,
    });
    const path = purpose === 'verify_email' ? '/v2/auth/verify-email' : '/reset-password';
    const link = `${tenant.issuer}${path}?token=${token}`;
    // No user name: mail to an address nobody has proven to own must carry no text the requester chose.
    const input = {
      tenantName: tenant.name,
      link,
      expiresInMinutes: Math.round(ttlMs / 60_000),
    };
    const rendered = purpose === 'verify_email' ? verificationEmail(input) : passwordResetEmail(input);
    return { to: user.email_normalized, kind: purpose, ...rendered };
  }

  private async audit(event: AuditEvent): Promise<void> {
    await insertAuditEvent(this.deps.db, event);
  }
}

// A token the tests or a client pass for the wrong purpose, tenant or after use: one answer for all.
const invalidGrant = () =>
  new HelloJohnError('invalid_grant', 'The refresh token is invalid, expired or revoked.');
const invalidEmailToken = () =>
  new HelloJohnError('invalid_grant', 'This link is invalid, expired or already used.');

function metaOf(meta: RequestMeta) {
  return { ip: meta.ip, userAgent: meta.userAgent };
}

/**
 * What registration and the admin tools share before inserting an account: a valid email, a clean name, a
 * password that meets `policy` (the breached check included, as configured), and its Argon2id hash.
 */
export async function prepareNewUser(
  deps: { hasher: PasswordHasher; passwordChecker: PasswordPolicyChecker },
  policy: PasswordPolicy,
  input: { email: string; password: string; name?: string | null },
): Promise<{
  email: string;
  emailNormalized: string;
  otherKeys: string[];
  name: string | null;
  passwordHash: string;
}> {
  const address = parseEmailAddress(input.email);
  if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
  const name = cleanName(input.name);
  const violations = await deps.passwordChecker.check(input.password, policy, {
    email: address.normalized,
    name: name ?? undefined,
  });
  if (violations.length > 0) throw new WeakPasswordError(violations);
  return {
    email: address.display,
    emailNormalized: address.normalized,
    otherKeys: accountKeys(input.email).filter((key) => key !== address.normalized),
    name,
    passwordHash: await deps.hasher.hash(input.password),
  };
}

function cleanName(name: string | null | undefined): string | null {
  const trimmed = name?.normalize('NFC').trim();
  if (!trimmed) return null;
  // Control characters, and bidi overrides that would reorder the text of emails and pages around it.
  if (hasControlOrBidi(trimmed)) {
    throw new HelloJohnError('invalid_request', 'The name contains control or text-direction characters.');
  }
  return trimmed;
}

function tokenResponse(accessToken: string, refreshToken: string, expiresIn: number): TokenResponse {
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: refreshToken,
  };
}

export function publicUser(user: UserRow): PublicUser {
  return {
    id: user.id,
    tenant_id: user.tenant_id,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
    created_at: user.created_at.toISOString(),
    last_login_at: user.last_login_at?.toISOString() ?? null,
  };
}

export function publicSession(row: ListedSessionRow, currentSessionId?: string): PublicSession {
  return {
    id: row.id,
    kind: row.kind,
    created_at: row.created_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    ip: row.ip,
    user_agent: row.user_agent,
    current: row.id === currentSessionId,
    client_id: row.client_id,
    offline: row.offline,
  };
}
