// The feature-module contract. A module is one folder under src/modules/ and one line in
// src/modules/index.ts; everything it adds to the product reaches the core through this object.
// Modelled on a plugin that declares its endpoints, hooks, schema and error codes in one place: the
// core never names a module, it only walks the contributions. This file sits at the top with the
// composition root (it names HTTP types); the contracts services use are in authentication.ts.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Admin } from '../admin/admins.js';
import type { AuditEventType } from '../audit/events.js';
import type { BrowserSessions } from '../auth/browser-sessions.js';
import type { Identities } from '../auth/identities.js';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import type { PasswordPolicyChecker } from '../auth/password-policy.js';
import type { RecentSignIn } from '../auth/recent-sign-in.js';
import type { Registration } from '../auth/registration.js';
import type { Authenticated, SessionAccess } from '../auth/session-access.js';
import type { Config } from '../config.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import type { Database } from '../db/database.js';
import type { Migration } from '../db/migrations/types.js';
import type { EmailLinks } from '../mail/email-links.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { Check } from '../oauth/authorize/index.js';
import type { LoginCheck } from '../oauth/interaction-policy.js';
import type { ScopeDefinition } from '../oauth/scope-registry.js';
import type { SweeperJob } from '../maintenance/sweeper.js';
import type { LoginLockout, RateLimitStore } from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import type { FlowDeps } from '../http/authorization-flow.js';
import type { Cookies } from '../http/cookies.js';
import type { SecondStepResponse } from '../http/second-step.js';
import type { Html, PageContext } from '../http/views/layout.js';
import type { LoginButton } from '../http/views/pages.js';
import type { BrowserLogin } from '../auth/browser-sessions.js';
import type { Interaction } from '../oauth/interaction.js';
import type {
  Authenticator,
  IdentitySource,
  LoginOutcome,
  SecondFactor,
  SecondStepChallenge,
  SecondStepPolicy,
  UserRegisteredHook,
} from './authentication.js';

/** The core services a module builds on (its own services it builds itself in `setup`). */
export interface CoreServices {
  db: Database;
  config: Config;
  logger: Logger;
  tenants: Tenants;
  hasher: PasswordHasher;
  passwordChecker: PasswordPolicyChecker;
  limits: RequestLimits;
  lockout: LoginLockout;
  outbox: MailOutbox;
  emailLinks: EmailLinks;
  sessionAccess: SessionAccess;
  browserSessions: BrowserSessions;
  registration: Registration;
  login: Login;
  passwordAuthenticator: PasswordAuthenticator;
  /** The one "recent sign-in" rule (SESSION_RECENT_LOGIN) that sensitive changes require. */
  recentSignIn: RecentSignIn;
  /**
   * Every second factor of the build, whichever module registered it (filled once every module is set
   * up): the second-step policy decides over all of them.
   */
  secondFactors: readonly SecondFactor[];
  /**
   * A user's ways to sign in, across the core (password) and every module; `remove` never takes the
   * last one away.
   */
  identities: Identities;
  /** Where a module keeps counters of its own (send caps…): shared by every instance when Redis is. */
  rateLimitStore: RateLimitStore;
  /** Seals a module's secrets at rest (src/crypto/secretbox.ts) and its sealed state; MAC keys derive from it. */
  secretboxMasterKey: Buffer;
}

/** What the HTTP layer hands a module's JSON routes: the shared request helpers, bound to this app. */
export interface RouteKit {
  /** The tenant a request addresses (path prefix, tenant_id or client_id). */
  tenantOf: (request: FastifyRequest) => Promise<Tenant>;
  /** The user behind the request's bearer token, for the first-party account API (or invalid_token). */
  account: (request: FastifyRequest, tenant: Tenant) => Promise<Authenticated>;
  cookies: Cookies;
  /** The answer to a login that needs its second step: `{mfa_required, mfa_token, factors, expires_in}`. */
  secondStepResponse: (challenge: SecondStepChallenge) => SecondStepResponse;
}

/** What the admin API hands a module's admin routes (they run after its admin-token check). */
export interface AdminKit {
  /** The admin the request's token belongs to. */
  admin: (request: FastifyRequest) => Admin;
}

/** What a module's hosted pages get: the browser flow (session, interaction, CSRF, cookies) and tenants. */
export interface PageKit extends FlowDeps {
  tenants: Tenants;
  /** Every module's sections of the account page, in module order (the account module renders them). */
  accountSections: readonly AccountSection[];
  /**
   * Finishes a hosted sign-in the way the sign-in page does: the session cookie, then the authorization in
   * progress (or `returnTo`, or /login); or the second-step page when the login asks for one.
   */
  continueLogin: (
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: Tenant,
    outcome: LoginOutcome<BrowserLogin>,
    interaction: Interaction | null,
    returnTo: string | undefined,
  ) => Promise<unknown>;
}

/** What a section of the account page is rendered from: the signed-in user of this browser, and the page. */
export interface AccountSectionArgs {
  tenant: Tenant;
  user: { id: string; email: string; emailVerified: boolean; name: string | null };
  /** The browser session: its id, how and when the user signed in (RFC 8176 `amr`, `auth_time`). */
  session: { id: string; amr: readonly string[]; authTime: Date };
  /** For forms: `page.csrfToken` (post it as `csrf_token`) and `page.basePath` (the tenant's pages' prefix). */
  page: PageContext;
  /** Whether the sign-in is recent (CoreServices.recentSignIn): sensitive forms show only when it is. */
  recentSignIn: boolean;
  /** Where "Confirm it's you" goes: sign in again, then back to the account page. */
  reauthenticateHref: string;
}

/**
 * A section (card) a module adds to the account page (/account), after the core's profile, password and
 * sessions. Only rendering goes through here: the section's forms post to the module's own page routes
 * (with the CSRF token), which answer with a 303 to `/account?notice=<code>` when they are done.
 */
export interface AccountSection {
  /** kebab-case, unique on the page: the card's element id (`#<id>`) and its heading's. */
  id: string;
  /** The card's heading. */
  title: string;
  /** The card's body, built with the `markup` tag (src/http/views/layout.ts), which escapes what it holds. */
  render(args: AccountSectionArgs): Promise<Html>;
  /** Confirmations the page shows for `?notice=<code>` (say "Two-step sign-in is on."), by code. */
  notices?: Readonly<Record<string, string>>;
}

/** Links and text a module adds to the hosted pages. */
export interface PageContributions {
  /** Links under the sign-in form ("Forgot your password?"), relative to the tenant's base path. */
  loginLinks?: readonly { href: string; label: string }[];
  /** Sections of the account page, in this order (see AccountSection). */
  accountSections?: readonly AccountSection[];
  /** Buttons above the sign-in form (a social provider's "Continue with …"), for the tenant. */
  loginButtons?: (tenant: Tenant) => readonly LoginButton[];
}

/** Everything a module adds once it is set up. Every member is optional. */
export interface ModuleParts {
  /** Tenant-scoped routes, registered at the root (default tenant) and under /t/{tenant}. */
  routes?: FastifyPluginAsync<{ kit: RouteKit }>;
  /** Admin API routes (/v2/admin/…), behind the admin token like the core's. */
  adminRoutes?: FastifyPluginAsync<{ kit: AdminKit }>;
  /** Tenant-scoped hosted pages, registered with the core pages (form bodies, CSRF, errors as pages). */
  pageRoutes?: FastifyPluginAsync<{ kit: PageKit }>;
  /** Sign-in methods (listed in /v2/auth/config `login_methods`). */
  authenticators?: readonly Authenticator<never>[];
  /** The user's ways to sign in this module holds (passkeys, linked accounts): see Identities. */
  identities?: IdentitySource;
  /** Second factors a login may require. */
  secondFactors?: readonly SecondFactor[];
  /** Decides when a sign-in needs its second step (at most one module in a build sets it). */
  secondStepPolicy?: SecondStepPolicy;
  /** Rules the authorization endpoint adds to its request checks (throw an OAuthError to refuse). */
  authorizationChecks?: readonly Check[];
  /** Reasons an authorization sends the user to sign in again (the login prompt's checks). */
  loginChecks?: readonly LoginCheck[];
  /** Hooks into the core's use cases. */
  hooks?: { userRegistered?: UserRegisteredHook };
  /** Scopes the module adds, with the claims each releases (ID token, UserInfo, discovery). */
  scopes?: readonly ScopeDefinition[];
  /** Members added to the OpenID Provider metadata (discovery). */
  discovery?: (tenant: Tenant) => Record<string, unknown>;
  /** Members added to /v2/auth/config. */
  authConfig?: (tenant: Tenant) => Record<string, unknown>;
  pages?: PageContributions;
  sweeperJobs?: readonly SweeperJob[];
  /** Called when the app closes (after the server stopped taking requests). */
  close?: () => Promise<void>;
}

export interface FeatureModule {
  /** kebab-case, unique: the folder name under src/modules/. */
  readonly id: string;
  /** The module's migrations; their versions take their place in the one ordered sequence. */
  readonly migrations?: readonly Migration[];
  /** The audit event types the module writes (declared with defineAuditEvents). */
  readonly auditEvents?: readonly AuditEventType[];
  setup(core: CoreServices): ModuleParts;
}

/** Identity function that checks a module's shape where it is declared. */
export function defineModule(module: FeatureModule): FeatureModule {
  return module;
}
