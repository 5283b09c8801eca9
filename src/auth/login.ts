// Signing in, whatever the method: an Authenticator proves who the user is; then either a session starts
// (API tokens, or a browser cookie), or, when a registered second factor applies to the user, the login
// stops at a sealed short-lived challenge that /v2/mfa/challenge (or the hosted page) completes.
import { createHash, randomBytes } from 'node:crypto';
import { hashToken, newOpaqueToken } from '../crypto/tokens.js';
import { SealedState } from '../crypto/sealed-state.js';
import type { Database, Queryable } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { createSession, upgradeSession, type SessionRow } from '../db/repositories/sessions.js';
import { findUserById, type UserRow } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import { auditEvents } from '../audit/events.js';
import type {
  Authenticator,
  DeviceCookie,
  FactorPassed,
  Enrollment,
  LoginOutcome,
  SecondFactor,
  SecondStepChallenge,
  SecondStepDecision,
  SecondStepPolicy,
  SignInProof,
} from '../kernel/authentication.js';
import type { AuthEvents } from '../observability/metrics.js';
import {
  RateLimitedError,
  type LoginAttempt,
  type LoginLockout,
  type RateLimiter,
} from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { newSession, type BrowserLogin, type BrowserSessions } from './browser-sessions.js';
import type { EnrolledFactors } from './enrolled-factors.js';
import { auditMeta, tokenResponse, type RequestMeta, type TokenResponse } from './public.js';
import type { SessionAccess } from './session-access.js';

export interface LoginDeps {
  db: Database;
  lifetimes: Pick<TenantLifetimes, 'of'>;
  accessTokens: AccessTokens;
  sessionAccess: SessionAccess;
  browserSessions: BrowserSessions;
  /** The second factors feature modules registered; none means every login signs in at once. */
  secondFactors: readonly SecondFactor[];
  /** Which of them a user has ready (when the Authenticator did not read it with the user). */
  enrolledFactors: EnrolledFactors;
  /** When a sign-in needs its second step; without one, whenever the user has an enrolled factor. */
  secondStepPolicy: { current?: SecondStepPolicy };
  secretboxMasterKey: Buffer;
  /** How long a user has to pass the second step. */
  challengeTtlMs: number;
  /** Per-address limits (the login budget), as for passwords. */
  limits: RequestLimits;
  /** Wrong codes count against the user's own second-step key, with the password lockout's rules. */
  lockout: LoginLockout;
  /** One point per challenge for its whole life: a completed challenge cannot be completed again. */
  spentChallenges: RateLimiter;
  /** Codes tried per challenge, for its whole life: a wrong code never gives the count back. */
  challengeAttempts: RateLimiter;
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
  preferred?: string;
  /** The user sets a factor up during this sign-in (none yet, one required). */
  enroll: boolean;
  rememberDays: number;
  /** Step-up: the browser session that gains the factor, instead of a new session. */
  upgrade?: string;
  expiresAt: number;
}

/** Where a login runs: `api` answers tokens; `session` (/v2/session/login) and `page` set the cookie. */
export type LoginKind = 'api' | 'session' | 'page';

export type CompletedLogin = (
  | { kind: 'api'; tokens: TokenResponse }
  | { kind: 'browser'; login: BrowserLogin }
  /** Step-up: the signed-in session now carries the factor too (the cookie does not change). */
  | { kind: 'stepped_up'; sessionId: string }
) & {
  /** "Remember this device": the cookie to set, when the user asked and the policy offers it. */
  device?: DeviceCookie;
  /** The factor passed has this many uses left (recovery codes): the user is told. */
  usesLeft?: { factor: string; remaining: number };
};

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
    const { user, signIn, enrolled } = proven(authenticator, await authenticator.verify(tenant, input, meta));
    const challenge = await this.secondStep(tenant, user, 'api', signIn, meta, { enrolled });
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
    const { user, signIn, enrolled } = proven(authenticator, await authenticator.verify(tenant, input, meta));
    const challenge = await this.secondStep(tenant, user, via, signIn, meta, { enrolled });
    if (challenge) return challenge;
    return { kind: 'signed_in', result: await this.deps.browserSessions.start(tenant, user, signIn, meta) };
  }

  /**
   * The second step a brand-new account passes before its auto-login session (the tenant requires a
   * factor: the user sets one up), or null. Runs inside the registration transaction, before any session.
   */
  async afterRegistration(
    tenant: Tenant,
    user: UserRow,
    signIn: { method: string; amr: readonly string[] },
    meta: RequestMeta,
  ): Promise<LoginOutcome<never> | null> {
    // A brand-new account has no factor; asking the factors would read outside the registration's
    // transaction (and wait on it forever on a one-connection database).
    return this.secondStep(tenant, user, 'api', { method: signIn.method, amr: [...signIn.amr] }, meta, {
      enrolled: [],
    });
  }

  /**
   * Completes a login that returned a second step, where it started (`accepted`: the kinds the caller
   * serves). The factor named must be one the challenge offered, and the code must prove it. Wrong codes
   * spend the address's login budget and the user's own second-step lockout, however many challenges
   * they come through; a challenge completes once. The session then carries both steps' amr values.
   */
  async completeSecondStep(
    tenant: Tenant,
    input: { challenge: string; factor: string; code: string; rememberDevice?: boolean },
    accepted: readonly LoginKind[],
    meta: RequestMeta,
  ): Promise<CompletedLogin> {
    const { limits, lockout, db } = this.deps;
    const { pending, factor, user } = await this.openChallenge(tenant, input, accepted, meta);
    // Every code tried spends one of the challenge's attempts first; the last one spent ends it.
    if (!(await this.deps.challengeAttempts.consume(pending.jti)).allowed) throw invalidChallenge();

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
    let passed: FactorPassed | null;
    try {
      passed = await factor.verify(tenant, user, input.code, meta, { enrolling: pending.enroll });
    } catch (error) {
      await Promise.all([attempt.abandoned(), addressHold.giveBack()]).catch(() => undefined);
      throw error;
    }
    if (!passed) {
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
    const policy = this.deps.secondStepPolicy.current;
    const device =
      input.rememberDevice && pending.rememberDays > 0 && pending.kind !== 'api' && policy?.rememberDevice
        ? ((await policy.rememberDevice(tenant, user, meta)) ?? undefined)
        : undefined;
    const extras = {
      ...(device ? { device } : {}),
      ...(passed.remaining !== undefined
        ? { usesLeft: { factor: factor.id, remaining: passed.remaining } }
        : {}),
    };
    if (pending.upgrade) {
      await this.stepUpSession(tenant, user, pending.upgrade, signIn.amr, meta);
      return { kind: 'stepped_up', sessionId: pending.upgrade, ...extras };
    }
    return pending.kind === 'api'
      ? { kind: 'api', tokens: await this.startApiSession(tenant, user, signIn, meta), ...extras }
      : {
          kind: 'browser',
          login: await this.deps.browserSessions.start(tenant, user, signIn, meta),
          ...extras,
        };
  }

  /**
   * Sends the code of a factor that delivers one (email, SMS) for a pending second step. The factor caps
   * how often; the address's login budget applies as to any sign-in request.
   */
  async sendSecondStepCode(
    tenant: Tenant,
    input: { challenge: string; factor: string },
    accepted: readonly LoginKind[],
    meta: RequestMeta,
  ): Promise<{ sentTo: string }> {
    const { factor, user } = await this.openChallenge(tenant, input, accepted, meta);
    if (!factor.send)
      throw new HelloJohnError(
        'invalid_request',
        `"${factor.id}" has no code to send; enter the code you have.`,
      );
    return factor.send(tenant, user, meta);
  }

  /**
   * Step-up: a signed-in browser session asks for more than it has (an authorization's acr_values). The
   * user passes a second step for the same session; null when the policy has none to offer.
   */
  async stepUp(
    tenant: Tenant,
    session: { sessionId: string; userId: string; amr: readonly string[] },
    meta: RequestMeta,
  ): Promise<LoginOutcome<never> | null> {
    const user = await findUserById(this.deps.db, tenant.id, session.userId);
    if (!user || user.blocked) return null;
    const signIn = { method: 'step_up', amr: [...session.amr] };
    return this.secondStep(tenant, user, 'page', signIn, meta, { upgrade: session.sessionId });
  }

  /**
   * What a pending challenge offers, for a page that shows it again (after a wrong code, a code sent, another
   * factor chosen); invalid_grant when it is no longer live.
   */
  pendingChallenge(
    tenant: Tenant,
    challenge: string,
    accepted: readonly LoginKind[],
  ): SecondStepChallenge & { stepUp: boolean } {
    const pending = this.pending.open(tenant.id, challenge);
    if (!pending || !accepted.includes(pending.kind)) throw invalidChallenge();
    return {
      token: challenge,
      factors: pending.factors,
      ...(pending.preferred ? { preferred: pending.preferred } : {}),
      enroll: pending.enroll,
      rememberDays: pending.rememberDays,
      expiresInSeconds: Math.max(0, Math.floor((pending.expiresAt - Date.now()) / 1000)),
      stepUp: pending.upgrade !== undefined,
    };
  }

  /**
   * Starts setting up `factor` during a sign-in that requires one and finds the user without any (an
   * `enroll` challenge): what the page shows (QR code, secret). The code that confirms it completes the
   * challenge as any other.
   */
  async beginEnrollment(
    tenant: Tenant,
    input: { challenge: string; factor: string },
    accepted: readonly LoginKind[],
    meta: RequestMeta,
  ): Promise<Enrollment> {
    const { pending, factor, user } = await this.openChallenge(tenant, input, accepted, meta);
    if (!pending.enroll || !factor.beginEnrollment)
      throw new HelloJohnError('invalid_request', `"${factor.id}" cannot be set up during this sign-in.`);
    return factor.beginEnrollment(tenant, user);
  }

  /** A live challenge of this tenant, started where the caller serves, with the factor it names. */
  private async openChallenge(
    tenant: Tenant,
    input: { challenge: string; factor: string },
    accepted: readonly LoginKind[],
    meta: RequestMeta,
  ): Promise<{ pending: PendingLogin; factor: SecondFactor; user: UserRow }> {
    const pending = this.pending.open(tenant.id, input.challenge);
    if (!pending || !accepted.includes(pending.kind)) throw invalidChallenge();
    // A completed challenge is refused before any code is compared: a replay of it neither spends the
    // user's codes nor counts failures against the account. (Completing still consumes it, for races.)
    if (!(await this.deps.spentChallenges.peek(pending.jti)).allowed) throw invalidChallenge();
    const factor = this.deps.secondFactors.find((f) => f.id === input.factor);
    if (!factor || !pending.factors.includes(factor.id))
      throw new HelloJohnError('invalid_request', `This sign-in cannot be completed with "${input.factor}".`);
    await this.deps.limits.checkIp('login', meta.ip);
    const user = await findUserById(this.deps.db, tenant.id, pending.userId);
    if (!user || user.blocked || stampOf(user) !== pending.stamp) throw invalidChallenge();
    return { pending, factor, user };
  }

  private async stepUpSession(
    tenant: Tenant,
    user: UserRow,
    sessionId: string,
    amr: readonly string[],
    meta: RequestMeta,
  ): Promise<void> {
    const upgraded = await upgradeSession(this.deps.db, tenant.id, sessionId, user.id, amr, {
      type: auditEvents.userLogin,
      ...auditMeta(meta),
      data: { method: 'step_up', kind: 'browser' },
    });
    if (!upgraded) throw invalidChallenge();
    await this.deps.sessionAccess.invalidateSessions(tenant.id, [sessionId]);
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
    const lifetimes = this.deps.lifetimes.of(tenant);
    return createSession(
      db,
      { ...newSession(tenant, user, signIn, meta, lifetimes), kind: 'api' },
      { tokenHash: hashToken(refreshToken), ttlMs: lifetimes.refreshTtlMs },
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
    return tokenResponse(accessToken, refreshToken, this.deps.accessTokens.ttlSecondsFor(tenant));
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
    // The new session is the user's last sign-in (lastLoginSql), which cached sessions of this user show.
    await this.deps.sessionAccess.invalidateUser(tenant.id, user.id);
    return tokens;
  }

  /**
   * Ids of the registered factors the user has ready, in registration order: every factor with
   * `enrolledSql` answered by one query, the others by their own `enrolled`.
   */
  enrolledFactors(tenant: Tenant, user: UserRow): Promise<string[]> {
    return this.deps.enrolledFactors.of(tenant, user);
  }

  /** The challenge for a second step, when the policy asks this user for one; null otherwise. */
  private async secondStep(
    tenant: Tenant,
    user: UserRow,
    kind: LoginKind,
    signIn: { method: string; amr: string[] },
    meta: RequestMeta,
    options: { upgrade?: string; enrolled?: readonly string[] } = {},
  ): Promise<LoginOutcome<never> | null> {
    const { upgrade } = options;
    const registered = this.deps.secondFactors;
    if (registered.length === 0) return null;
    // A first step that proved two factors itself (a passkey with user verification) needs no second one.
    if (!upgrade && signIn.amr.includes('mfa')) return null;
    const policy = this.deps.secondStepPolicy.current;
    const enrolled = options.enrolled ?? (await this.enrolledFactors(tenant, user));
    const decision: SecondStepDecision = policy
      ? await policy.decide(tenant, user, { enrolled, meta, stepUp: upgrade !== undefined })
      : enrolled.length > 0
        ? { required: true, factors: [...enrolled] }
        : { required: false };
    if (!decision.required) return null;
    const factors = decision.factors.filter((id) => registered.some((f) => f.id === id));
    if (factors.length === 0) return null;
    const preferred =
      decision.preferred && factors.includes(decision.preferred) ? decision.preferred : undefined;
    const enroll = decision.enroll === true;
    const rememberDays = decision.rememberDays ?? 0;
    const token = this.pending.seal(tenant.id, {
      jti: randomBytes(16).toString('base64url'),
      userId: user.id,
      stamp: stampOf(user),
      kind,
      ...signIn,
      factors,
      ...(preferred ? { preferred } : {}),
      enroll,
      rememberDays,
      ...(upgrade ? { upgrade } : {}),
      expiresAt: Date.now() + this.deps.challengeTtlMs,
    });
    return {
      kind: 'second_step',
      challenge: {
        token,
        factors,
        ...(preferred ? { preferred } : {}),
        enroll,
        rememberDays,
        expiresInSeconds: Math.floor(this.deps.challengeTtlMs / 1000),
      },
    };
  }

  /**
   * The user behind a pending challenge, for a module that lets the user set a factor up during the
   * sign-in (`enroll`): null unless the challenge is live, of this tenant, and allows enrolment.
   */
  async enrollingUser(tenant: Tenant, challenge: string): Promise<UserRow | null> {
    const pending = this.pending.open(tenant.id, challenge);
    if (!pending?.enroll) return null;
    const user = await findUserById(this.deps.db, tenant.id, pending.userId);
    return user && !user.blocked && stampOf(user) === pending.stamp ? user : null;
  }
}

/** The user an Authenticator proved, and the method and amr values the session records. */
function proven(
  authenticator: Authenticator<never>,
  proof: UserRow | SignInProof,
): { user: UserRow; signIn: { method: string; amr: string[] }; enrolled?: readonly string[] } {
  const { user, amr, enrolled } = 'amr' in proof ? proof : { user: proof, amr: authenticator.amr };
  return { user, signIn: { method: authenticator.method, amr: [...amr] }, ...(enrolled ? { enrolled } : {}) };
}

/** A short digest of what the user signs in with: it changes when the password does. */
function stampOf(user: UserRow): string {
  return createHash('sha256')
    .update(user.password_hash ?? '')
    .digest('base64url')
    .slice(0, 22);
}
