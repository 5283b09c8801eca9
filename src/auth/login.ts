// Signing in, whatever the method: an Authenticator proves who the user is; then either a session starts
// (API tokens, or a browser cookie), or, when a registered second factor applies to the user, the login
// stops at a sealed short-lived challenge that /v2/mfa/challenge (or the hosted page) completes.
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
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import type { BrowserLogin, BrowserSessions } from './browser-sessions.js';
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
  events: AuthEvents;
}

/** What a login that waits for its second step remembers (sealed into the challenge token). */
interface PendingLogin {
  userId: string;
  /** api: tokens are returned; browser: a session cookie is set. */
  kind: 'api' | 'browser';
  method: string;
  amr: string[];
  factors: string[];
  expiresAt: number;
}

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
  ): Promise<LoginOutcome<BrowserLogin>> {
    const user = await authenticator.verify(tenant, input, meta);
    const signIn = { method: authenticator.method, amr: [...authenticator.amr] };
    const challenge = await this.secondStep(tenant, user, 'browser', signIn);
    if (challenge) return challenge;
    return { kind: 'signed_in', result: await this.deps.browserSessions.start(tenant, user, signIn, meta) };
  }

  /**
   * Completes a login that returned a second step: the factor named must be one the challenge offered,
   * and the code must prove it. The session then carries both steps' amr values.
   */
  async completeSecondStep(
    tenant: Tenant,
    input: { challenge: string; factor: string; code: string; kind?: PendingLogin['kind'] },
    meta: RequestMeta,
  ): Promise<CompletedLogin> {
    const pending = this.pending.open(tenant.id, input.challenge);
    // A challenge is completed where its login started: a page cannot finish an API login, nor the reverse.
    if (!pending || (input.kind && pending.kind !== input.kind)) throw invalidChallenge();
    const factor = this.deps.secondFactors.find((f) => f.id === input.factor);
    if (!factor || !pending.factors.includes(factor.id))
      throw new HelloJohnError('invalid_request', `This sign-in cannot be completed with "${input.factor}".`);
    const user = await findUserById(this.deps.db, tenant.id, pending.userId);
    if (!user || user.blocked) throw invalidChallenge();
    if (!(await factor.verify(tenant, user, input.code, meta))) {
      await insertAuditEvent(this.deps.db, {
        tenantId: tenant.id,
        type: auditEvents.loginSecondStepFailed,
        userId: user.id,
        ...auditMeta(meta),
        data: { factor: factor.id },
      });
      throw new HelloJohnError('invalid_credentials', 'The code is not correct.');
    }
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
      {
        tenantId: tenant.id,
        userId: user.id,
        amr: [...signIn.amr],
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
        ttlMs: this.deps.sessions.ttlMs,
        idleTtlMs: this.deps.sessions.idleTtlMs,
        kind: 'api',
      },
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
    kind: PendingLogin['kind'],
    signIn: { method: string; amr: string[] },
  ): Promise<LoginOutcome<never> | null> {
    if (this.deps.secondFactors.length === 0) return null;
    const applies = await Promise.all(this.deps.secondFactors.map((f) => f.required(tenant, user)));
    const factors = this.deps.secondFactors.filter((_, i) => applies[i]).map((f) => f.id);
    if (factors.length === 0) return null;
    const expiresAt = Date.now() + this.deps.challengeTtlMs;
    const token = this.pending.seal(tenant.id, { userId: user.id, kind, ...signIn, factors, expiresAt });
    return {
      kind: 'second_step',
      challenge: { token, factors, expiresInSeconds: Math.floor(this.deps.challengeTtlMs / 1000) },
    };
  }
}
