// Signing in, whatever the method: an Authenticator proves who the user is; then either a session starts
// (API tokens, or a browser cookie), or, when a registered second factor applies to the user, the login
// stops at a sealed short-lived challenge that /v2/mfa/challenge (or the hosted page) completes.
import { createHash, randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { hashToken, newOpaqueToken } from '../crypto/tokens.js';
import { SealedState } from '../crypto/sealed-state.js';
import type { Database, Queryable } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { createSession, type SessionRow } from '../db/repositories/sessions.js';
import { findUserById, type UserRow } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import { auditEvents } from '../audit/events.js';
import type { Authenticator, LoginOutcome, SecondFactor } from '../kernel/authentication.js';
import type { AuthEvents } from '../observability/metrics.js';
import {
  RateLimitedError,
  type LoginAttempt,
  type LoginLockout,
  type RateLimiter,
} from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { newSession, type BrowserLogin, type BrowserSessions } from './browser-sessions.js';
import { auditMeta, tokenResponse, type RequestMeta, type TokenResponse } from './public.js';
import type { SessionAccess } from './session-access.js';

export interface LoginDeps {
  db: Database;
  sessions: Pick<Config['sessions'], 'ttlMs' | 'idleTtlMs'>;
  tokens: Pick<Config['tokens'], 'refreshTtlMs'>;
  accessTokens: AccessTokens;
  sessionAccess: SessionAccess;
  browserSessions: BrowserSessions;
  /** The second factors feature modules registered; none means every login signs in at once. */
  secondFactors: readonly SecondFactor[];
  secretboxMasterKey: Buffer;
  /** How long a user has to pass the second step. */
  challengeTtlMs: number;
  /** Per-address limits (the login budget), as for passwords. */
  limits: RequestLimits;
  /** Wrong codes count against the user's own second-step key, with the password lockout's rules. */
  lockout: LoginLockout;
  /** One point per challenge for its whole life: a completed challenge cannot be completed again. */
  spentChallenges: RateLimiter;
  events: AuthEvents;
}

/** What a login that waits for its second step remembers (sealed into the challenge token). */
interface PendingLogin {
  /** Names this challenge: it is spent when completed. */
  jti: string;
  userId: string;
  /** Changes with the user's password: a reset ends every challenge made with the old one. */
  stamp: string;
  /** Where the login started, and so where it may end. */
  kind: LoginKind;
  method: string;
  amr: string[];
  factors: string[];
  expiresAt: number;
}

/** Where a login runs: `api` answers tokens; `session` (/v2/session/login) and `page` set the cookie. */
export type LoginKind = 'api' | 'session' | 'page';

export type CompletedLogin =
  { kind: 'api'; tokens: TokenResponse } | { kind: 'browser'; login: BrowserLogin };

const invalidChallenge = () =>
  new HelloJohnError('invalid_grant', 'The sign-in challenge is invalid or expired; sign in again.');

export class Login {
  private readonly pending: SealedState<PendingLogin>;

  constructor(private readonly deps: LoginDeps) {
    this.pending = new SealedState(
      deps.secretboxMasterKey,
      { keyInfo: 'hellojohn login challenge v1', label: 'login-challenge' },
      2048,
    );
  }

  /** A login through the first-party API: tokens, or the second step. */
  async api<Input>(
    tenant: Tenant,
    authenticator: Authenticator<Input>,
    input: Input,
    meta: RequestMeta,
  ): Promise<LoginOutcome<TokenResponse>> {
    const user = await authenticator.verify(tenant, input, meta);
    const signIn = { method: authenticator.method, amr: [...authenticator.amr] };
    const challenge = await this.secondStep(tenant, user, 'api', signIn);
    if (challenge) return challenge;
    return { kind: 'signed_in', result: await this.startApiSession(tenant, user, signIn, meta) };
  }

  /** A login that starts a browser session (hosted pages, /v2/session/login): a cookie, or the second step. */
  async browser<Input>(
    tenant: Tenant,
    authenticator: Authenticator<Input>,
    input: Input,
    meta: RequestMeta,
    via: Exclude<LoginKind, 'api'>,
  ): Promise<LoginOutcome<BrowserLogin>> {
    const user = await authenticator.verify(tenant, input, meta);
    const signIn = { method: authenticator.method, amr: [...authenticator.amr] };
    const challenge = await this.secondStep(tenant, user, via, signIn);
    if (challenge) return challenge;
    return { kind: 'signed_in', result: await this.deps.browserSessions.start(tenant, user, signIn, meta) };
  }

  /**
   * Completes a login that returned a second step, where it started (`accepted`: the kinds the caller
   * serves). The factor named must be one the challenge offered, and the code must prove it. Wrong codes
   * spend the address's login budget and the user's own second-step lockout, however many challenges
   * they come through; a challenge completes once. The session then carries both steps' amr values.
   */
  async completeSecondStep(
    tenant: Tenant,
    input: { challenge: string; factor: string; code: string },
    accepted: readonly LoginKind[],
    meta: RequestMeta,
  ): Promise<CompletedLogin> {
    const { limits, lockout, db } = this.deps;
    const pending = this.pending.open(tenant.id, input.challenge);
    if (!pending || !accepted.includes(pending.kind)) throw invalidChallenge();
    const factor = this.deps.secondFactors.find((f) => f.id === input.factor);
    if (!factor || !pending.factors.includes(factor.id))
      throw new HelloJohnError('invalid_request', `This sign-in cannot be completed with "${input.factor}".`);
    await limits.checkIp('login', meta.ip);
    const user = await findUserById(db, tenant.id, pending.userId);
    if (!user || user.blocked || stampOf(user) !== pending.stamp) throw invalidChallenge();

    const addressHold = await limits.holdFailure(meta.ip);
    let attempt: LoginAttempt;
    try {
      attempt = await lockout.attempt(`second-step:${tenant.id}:${user.id}`);
    } catch (error) {
      await addressHold.giveBack().catch(() => undefined);
      throw error;
    }
    if (attempt.locked) {
      await addressHold.giveBack();
      throw new RateLimitedError(attempt.retryAfterSeconds);
    }
    let ok: boolean;
    try {
      ok = await factor.verify(tenant, user, input.code, meta);
    } catch (error) {
      await Promise.all([attempt.abandoned(), addressHold.giveBack()]).catch(() => undefined);
      throw error;
    }
    if (!ok) {
      this.deps.events.login('failed');
      await attempt.failed();
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginSecondStepFailed,
        userId: user.id,
        ...auditMeta(meta),
        data: { factor: factor.id },
      });
      throw new HelloJohnError('invalid_credentials', 'The code is not correct.');
    }
    await Promise.all([attempt.succeeded(), addressHold.giveBack()]);
    // Spent on its first completion, on every instance that shares the rate-limit store (Redis).
    if (!(await this.deps.spentChallenges.consume(pending.jti)).allowed) throw invalidChallenge();
    const signIn = { method: pending.method, amr: [...new Set([...pending.amr, factor.amr, 'mfa'])] };
    return pending.kind === 'api'
      ? { kind: 'api', tokens: await this.startApiSession(tenant, user, signIn, meta) }
      : { kind: 'browser', login: await this.deps.browserSessions.start(tenant, user, signIn, meta) };
  }

  /**
   * Creates an API session and its first refresh token inside the caller's transaction (registration
   * with auto-login); `apiTokens` issues the access token once it is committed.
   */
  createApiSession(
    db: Queryable,
    tenant: Tenant,
    user: UserRow,
    signIn: { method: string; amr: readonly string[] },
    meta: RequestMeta,
    refreshToken: string,
  ): Promise<SessionRow> {
    return createSession(
      db,
      { ...newSession(tenant, user, signIn, meta, this.deps.sessions), kind: 'api' },
      { tokenHash: hashToken(refreshToken), ttlMs: this.deps.tokens.refreshTtlMs },
      { type: auditEvents.userLogin, data: { method: signIn.method, kind: 'api' } },
    );
  }

  async apiTokens(
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
    this.deps.events.tokenIssued('password');
    return tokenResponse(accessToken, refreshToken, this.deps.accessTokens.ttlSeconds);
  }

  private async startApiSession(
    tenant: Tenant,
    user: UserRow,
    signIn: { method: string; amr: readonly string[] },
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const refreshToken = newOpaqueToken();
    const session = await this.createApiSession(this.deps.db, tenant, user, signIn, meta, refreshToken);
    const tokens = await this.apiTokens(tenant, user, session, refreshToken);
    // The login stamped last_login_at, which cached sessions of this user show.
    await this.deps.sessionAccess.invalidateUser(tenant.id, user.id);
    return tokens;
  }

  /** The challenge for a second step, when a registered factor applies to this user; null otherwise. */
  private async secondStep(
    tenant: Tenant,
    user: UserRow,
    kind: LoginKind,
    signIn: { method: string; amr: string[] },
  ): Promise<LoginOutcome<never> | null> {
    if (this.deps.secondFactors.length === 0) return null;
    const applies = await Promise.all(this.deps.secondFactors.map((f) => f.required(tenant, user)));
    const factors = this.deps.secondFactors.filter((_, i) => applies[i]).map((f) => f.id);
    if (factors.length === 0) return null;
    const expiresAt = Date.now() + this.deps.challengeTtlMs;
    const token = this.pending.seal(tenant.id, {
      jti: randomBytes(16).toString('base64url'),
      userId: user.id,
      stamp: stampOf(user),
      kind,
      ...signIn,
      factors,
      expiresAt,
    });
    return {
      kind: 'second_step',
      challenge: { token, factors, expiresInSeconds: Math.floor(this.deps.challengeTtlMs / 1000) },
    };
  }
}

/** A short digest of what the user signs in with: it changes when the password does. */
function stampOf(user: UserRow): string {
  return createHash('sha256')
    .update(user.password_hash ?? '')
    .digest('base64url')
    .slice(0, 22);
}
