// The OAuth 2.0 / OpenID Connect provider: the authorization endpoint's decision (after its checks),
// codes, the token endpoint's grants, UserInfo, revocation, introspection and RP-initiated logout.
// No HTTP types: routes hand in parameters, the signed-in browser session and the interaction state, and
// get back an outcome to render.
import type { Logger } from 'pino';
import { auditEvents } from '../audit/events.js';
import { auditMeta, type RequestMeta } from '../auth/public.js';
import type { RefreshTokens } from '../auth/refresh.js';
import type { SessionAccess } from '../auth/session-access.js';
import type { Client, Clients } from '../clients/clients.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { findConsent, saveConsent } from '../db/repositories/oauth.js';
import { findUserById } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import { noAuthEvents, type AuthEvents } from '../observability/metrics.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { TenantLifetimes } from '../tenants/lifetimes.js';
import type { Tenant } from '../tenants/tenants.js';
import type { AccessTokens } from '../tokens/access-tokens.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import {
  newAuthorizationRequest,
  runChecks,
  singleValued,
  type AuthorizationRequest,
  type CheckDeps,
} from './authorize/index.js';
import type { Check, ResponseMode } from './authorize/request.js';
import { loginNeeded, type LoginCheck, type SignedIn } from './interaction-policy.js';

export type { SignedIn } from './interaction-policy.js';
import { authenticateClient, type PresentedClient } from './client-auth.js';
import {
  AccessDenied,
  ConsentRequired,
  InsufficientScope,
  InteractionRequired,
  InvalidClient,
  InvalidRequest,
  InvalidTarget,
  LoginRequired,
  OAuthError,
} from './errors.js';
import { GRANTS, isGrantType, type GrantContext, type TokenResponse } from './grants/index.js';
import type { AuthorizationCodes } from './authorization-codes.js';
import type { IdTokens } from './id-tokens.js';
import type { Interaction, InteractionSealer } from './interaction.js';
import { comparableUri } from './redirect-uris.js';
import { discoveryDocument } from './discovery.js';
import { EndSessions, type LogoutOutcome } from './end-session.js';
import { TokenIntrospection } from './token-introspection.js';
import type { ScopeRegistry } from './scope-registry.js';
import { CORE_TOKEN_POLICY, type AccessTokenPolicy } from './token-policy.js';
import { formatScope } from './scopes.js';

export type AuthorizeOutcome =
  /** The client or redirect URI could not be verified: show an error page, never redirect. */
  | { kind: 'error_page'; error: OAuthError }
  /** Send the response (a code or an error) to the client's redirect URI. */
  | { kind: 'respond'; redirectUri: string; responseMode: ResponseMode; params: Record<string, string> }
  | { kind: 'login'; interaction: Interaction }
  /** The signed-in user passes a second step (step-up: the request asks for more than the session has). */
  | { kind: 'step_up'; interaction: Interaction }
  | { kind: 'consent'; interaction: Interaction; client: Client; scopes: string[] };

export type { LogoutOutcome } from './end-session.js';

export interface OAuthServiceDeps {
  db: Database;
  config: Config;
  clients: Clients;
  sessionAccess: SessionAccess;
  refreshTokens: RefreshTokens;
  limits: RequestLimits;
  accessTokens: AccessTokens;
  idTokens: IdTokens;
  /** The tenant's token and session lifetimes. */
  lifetimes: Pick<TenantLifetimes, 'of'>;
  interactions: InteractionSealer;
  /** Seals the authorization codes this endpoint issues and opens them at the token endpoint. */
  codes: AuthorizationCodes;
  /** The scopes this build knows (standard, plus feature modules') and the claims each releases. */
  scopes: ScopeRegistry;
  /** Members feature modules add to the discovery document. */
  discovery: readonly ((tenant: Tenant) => Record<string, unknown>)[];
  /** The checks of the authorization endpoint that feature modules add to the core's. */
  policy: { loginChecks: readonly LoginCheck[]; requestChecks: readonly Check[] };
  /** What access tokens carry beyond the core's claims (RFC 8707 resources); default: our own APIs only. */
  tokenPolicy?: AccessTokenPolicy;
  logger: Logger;
  events?: AuthEvents;
}

export class OAuthService {
  private readonly events: AuthEvents;
  private readonly checkDeps: CheckDeps;
  private readonly tokenPolicy: AccessTokenPolicy;

  private readonly introspection: TokenIntrospection;
  private readonly endSessions: EndSessions;

  constructor(private readonly deps: OAuthServiceDeps) {
    this.events = deps.events ?? noAuthEvents;
    this.tokenPolicy = deps.tokenPolicy ?? CORE_TOKEN_POLICY;
    this.introspection = new TokenIntrospection(deps);
    this.endSessions = new EndSessions(deps);
    this.checkDeps = {
      findClient: (tenant, clientId) => deps.clients.get(tenant, clientId),
      idTokenHint: (tenant, token, clientId) => deps.idTokens.verifyHint(tenant, token, clientId),
    };
  }

  get interactions(): InteractionSealer {
    return this.deps.interactions;
  }

  // --- authorization endpoint ------------------------------------------------------------------------

  /**
   * Runs the authorization request's checks, then decides: sign in, consent, or issue a code. `current`
   * is the interaction this request resumes (after the login or consent page), if any.
   */
  async authorize(
    tenant: Tenant,
    raw: Record<string, string | string[] | undefined>,
    session: SignedIn | null,
    current: Interaction | null = null,
  ): Promise<AuthorizeOutcome> {
    return this.checked(tenant, raw, (request) => this.decide(request, session, current));
  }

  /** The consent page's answer. `allow` remembers the grant and continues; `deny` ends with access_denied. */
  async consent(
    tenant: Tenant,
    interaction: Interaction,
    session: SignedIn,
    decision: 'allow' | 'deny',
    meta: RequestMeta,
  ): Promise<AuthorizeOutcome> {
    return this.checked(tenant, interaction.params, async (request) => {
      if (decision === 'deny') throw new AccessDenied('The user denied the request.');
      const clientId = request.client!.clientId;
      await saveConsent(this.deps.db, tenant.id, session.userId, clientId, request.scopes);
      await insertAuditEvent(this.deps.db, {
        tenantId: tenant.id,
        type: auditEvents.oauthConsentGranted,
        userId: session.userId,
        ...auditMeta(meta),
        data: { client_id: clientId, scopes: request.scopes },
      });
      return this.decide(request, session, { ...interaction, consented: true });
    });
  }

  /**
   * Parses and checks an authorization request, then continues with `next`. A broken rule ends it: on an
   * error page while the client and redirect URI are unproven, at the client's redirect URI after.
   */
  private async checked(
    tenant: Tenant,
    raw: Record<string, string | string[] | undefined>,
    next: (request: AuthorizationRequest) => Promise<AuthorizeOutcome>,
  ): Promise<AuthorizeOutcome> {
    let request: AuthorizationRequest | undefined;
    try {
      request = newAuthorizationRequest(tenant, singleValued(raw));
      await runChecks(request, this.checkDeps, this.deps.policy.requestChecks);
      return await next(request);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      if (!request?.redirectUri) return { kind: 'error_page', error };
      return this.respond(request, errorParams(error, request.state));
    }
  }

  private async decide(
    request: AuthorizationRequest,
    session: SignedIn | null,
    current: Interaction | null,
  ): Promise<AuthorizeOutcome> {
    const client = request.client!;
    const interaction = current ?? this.deps.interactions.start(request.params);
    // A sign-in made during this very interaction satisfies prompt=login and max_age.
    const fresh = session !== null && current?.loginSessionId === session.sessionId;
    const skipSecondStep = session !== null && current?.secondStepSkipped === session.sessionId;
    const needed = loginNeeded(this.deps.policy.loginChecks, request, session, { fresh, skipSecondStep });
    if (needed?.secondStepOnly) {
      if (request.prompt.has('none'))
        throw new InteractionRequired('The request needs a second factor the session does not have.');
      return { kind: 'step_up', interaction };
    }
    if (needed || session === null) {
      if (request.prompt.has('none')) throw new LoginRequired('The user is not signed in.');
      return { kind: 'login', interaction: await this.withLoginAs(request, interaction) };
    }

    if (!client.firstParty && !interaction.consented) {
      const granted = request.prompt.has('consent')
        ? null
        : await findConsent(this.deps.db, request.tenant.id, session.userId, client.clientId);
      const covered = granted !== null && request.scopes.every((s) => granted.includes(s));
      if (!covered) {
        if (request.prompt.has('none'))
          throw new ConsentRequired('The user has not consented to this client.');
        return { kind: 'consent', interaction, client, scopes: request.scopes };
      }
    }
    return this.issueCode(request, session);
  }

  /** The interaction, naming the user an id_token_hint asks for (for the login page). */
  private async withLoginAs(request: AuthorizationRequest, interaction: Interaction): Promise<Interaction> {
    if (!request.hint) return interaction;
    const user = await findUserById(this.deps.db, request.tenant.id, request.hint.sub);
    if (!user) throw new LoginRequired('The user the id_token_hint names no longer exists.');
    // The full address only to a client that already knows it: the hint carries it, or it is our own.
    const prefill = request.hint.hasEmail || request.client!.firstParty;
    return {
      ...interaction,
      loginAs: { userId: user.id, email: prefill ? user.email : masked(user.email), prefill },
    };
  }

  private async issueCode(request: AuthorizationRequest, session: SignedIn): Promise<AuthorizeOutcome> {
    const { code, sessionId } = this.deps.codes.issue(request.tenant.id, {
      clientRowId: request.client!.id,
      userId: session.userId,
      browserSessionId: session.sessionId,
      // In the form the token endpoint compares (an empty path is "/").
      redirectUri: comparableUri(request.redirectUri!),
      scope: formatScope(request.scopes),
      nonce: request.nonce ?? null,
      codeChallenge: request.codeChallenge ?? null,
      authTime: session.authTime,
      amr: session.amr,
    });
    await this.tokenPolicy.codeIssued(request.tenant, sessionId, request.params);
    const params: Record<string, string> = { code };
    if (request.state !== undefined) params.state = request.state;
    return this.respond(request, params);
  }

  /** RFC 9207: every authorization response names its issuer. */
  private respond(request: AuthorizationRequest, params: Record<string, string>): AuthorizeOutcome {
    return {
      kind: 'respond',
      redirectUri: request.redirectUri!,
      responseMode: request.responseMode,
      params: { ...params, iss: request.tenant.issuer },
    };
  }

  // --- token endpoint --------------------------------------------------------------------------------

  /**
   * Client authentication at the token, revocation and introspection endpoints. A bad secret or assertion
   * counts against the client's failure budget at this address (RequestLimits.checkClientFailures); a
   * public client (`none`) presents nothing to guess and is not counted.
   */
  async authenticateClient(tenant: Tenant, presented: PresentedClient, meta: RequestMeta): Promise<Client> {
    const audiences = [`${tenant.issuer}/oauth2/token`, tenant.issuer];
    if (presented.method === 'none') return authenticateClient(this.deps, tenant, presented, audiences);
    const clientId = presented.clientId ?? '';
    await this.deps.limits.checkClientFailures(tenant.id, clientId, meta.ip);
    try {
      return await authenticateClient(this.deps, tenant, presented, audiences);
    } catch (error) {
      if (error instanceof InvalidClient) await this.deps.limits.clientFailed(tenant.id, clientId, meta.ip);
      throw error;
    }
  }

  async token(
    tenant: Tenant,
    client: Client,
    params: Record<string, string | undefined>,
    meta: RequestMeta,
  ): Promise<TokenResponse> {
    const grantType = params.grant_type;
    if (!grantType) throw new InvalidRequest('The grant_type parameter is missing.');
    if (!isGrantType(grantType))
      throw new HelloJohnError('unsupported_grant_type', `Unsupported grant_type: ${grantType}.`);
    const grant = GRANTS[grantType];
    if (!client.grantTypes.includes(grantType))
      throw new HelloJohnError('unauthorized_client', `This client may not use the ${grantType} grant.`);
    // RFC 8707 §2: one resource per token here; several are a target this server does not issue for.
    if (Array.isArray(params.resource)) throw new InvalidTarget('Ask for one resource per token request.');
    await this.deps.limits.checkTokenRequest({
      tenantId: tenant.id,
      clientId: client.clientId,
      authenticated: client.tokenEndpointAuthMethod !== 'none',
      ip: meta.ip,
    });
    const context: GrantContext = {
      tenant,
      client,
      params,
      meta,
      db: this.deps.db,
      config: this.deps.config,
      sessionAccess: this.deps.sessionAccess,
      refreshTokens: this.deps.refreshTokens,
      accessTokens: this.deps.accessTokens,
      idTokens: this.deps.idTokens,
      codes: this.deps.codes,
      lifetimes: this.deps.lifetimes,
      scopes: this.deps.scopes,
      tokenPolicy: this.tokenPolicy,
      grant: grantType,
      logger: this.deps.logger,
    };
    const response = await grant(context);
    this.events.tokenIssued(grantType);
    return response;
  }

  /** The OpenID Provider metadata of a tenant: the core's, with what feature modules add. */
  discovery(tenant: Tenant): Record<string, unknown> {
    return Object.assign(
      discoveryDocument(tenant.issuer, this.deps.scopes),
      ...this.deps.discovery.map((contribute) => contribute(tenant)),
    ) as Record<string, unknown>;
  }

  // --- UserInfo, revocation, introspection -----------------------------------------------------------

  async userinfo(tenant: Tenant, accessToken: string): Promise<Record<string, unknown>> {
    const { claims } = await this.deps.sessionAccess.authenticate(tenant, accessToken);
    const scopes = (claims.scope ?? '').split(' ');
    if (!scopes.includes('openid')) throw new InsufficientScope('The access token lacks the openid scope.');
    const user = await findUserById(this.deps.db, tenant.id, claims.sub);
    if (!user || user.blocked) throw new InvalidTokenError('The user of this access token is gone.');
    return { sub: user.id, ...this.deps.scopes.userClaims(user, scopes) };
  }

  /** RFC 7009: ends the grant behind a refresh or access token of this client. Unknown tokens are fine. */
  revoke(tenant: Tenant, client: Client, token: string, meta: RequestMeta): Promise<void> {
    return this.introspection.revoke(tenant, client, token, meta);
  }

  /** RFC 7662 for confidential clients: their own tokens, or (resource servers) any of the tenant (§4). */
  introspect(tenant: Tenant, client: Client, token: string): Promise<Record<string, unknown>> {
    return this.introspection.introspect(tenant, client, token);
  }

  // --- RP-initiated logout ---------------------------------------------------------------------------

  logout(
    tenant: Tenant,
    raw: Record<string, string | string[] | undefined>,
    session: SignedIn | null,
    confirmed: boolean,
  ): Promise<LogoutOutcome> {
    return this.endSessions.logout(tenant, raw, session, confirmed);
  }

  endSession(tenant: Tenant, session: SignedIn, meta: RequestMeta): Promise<void> {
    return this.endSessions.end(tenant, session, meta);
  }
}

/** a…@example.com: enough for the user to recognise their account, not enough to learn it. */
function masked(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}…${email.slice(at)}`;
}

function errorParams(error: OAuthError, state: string | undefined): Record<string, string> {
  const params: Record<string, string> = { error: error.code, error_description: error.description };
  if (state !== undefined) params.state = state;
  return params;
}
