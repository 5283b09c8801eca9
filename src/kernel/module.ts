// The feature-module contract. A module is one folder under src/modules/ and one line in
// src/modules/index.ts; everything it adds to the product reaches the core through this object.
// Modelled on a plugin that declares its endpoints, hooks, schema and error codes in one place: the
// core never names a module, it only walks the contributions. This file sits at the top with the
// composition root (it names HTTP types); the contracts services use are in authentication.ts.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Admin, AdminVia } from '../admin/admins.js';
import type { AuditEventType } from '../audit/events.js';
import type { BrowserLogin, BrowserSessions } from '../auth/browser-sessions.js';
import type { ClientDeletedHook, Clients } from '../clients/clients.js';
import type { TenantAdmin } from '../admin/tenants.js';
import type { Identities } from '../auth/identities.js';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import type { PasswordPolicyChecker } from '../auth/password-policy.js';
import type { RecentSignIn } from '../auth/recent-sign-in.js';
import type { Registration } from '../auth/registration.js';
import type { Authenticated, SessionAccess } from '../auth/session-access.js';
import type { Config } from '../config.js';
import type { HelloJohnError } from '../errors.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import type { Database, Queryable } from '../db/database.js';
import type { Migration } from '../db/migrations/types.js';
import type { EmailLinks } from '../mail/email-links.js';
import type { MailOutbox } from '../mail/outbox.js';
import type { Check } from '../oauth/authorize/index.js';
import type { Interaction } from '../oauth/interaction.js';
import type { LoginCheck } from '../oauth/interaction-policy.js';
import type { ScopeDefinition } from '../oauth/scope-registry.js';
import type { AccessTokenPolicy } from '../oauth/token-policy.js';
import type { SweeperJob } from '../maintenance/sweeper.js';
import type { LoginLockout, RateLimitStore } from '../security/rate-limit.js';
import type { RequestLimits } from '../security/request-limits.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import type { FlowDeps } from '../http/authorization-flow.js';
import type { Cookies } from '../http/cookies.js';
import type { SecondStepResponse } from '../http/second-step.js';
import type { Html, PageContext } from '../http/views/layout.js';
import type { LoginButton } from '../http/views/pages.js';
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
  /**
   * Every module's part of a user's data export (ModuleParts.userExport), by module id, in module order
   * (filled once every module is set up).
   */
  userExports: readonly { module: string; export: UserExport }[];
  /** Every module's emailChanged hook (ModuleParts.hooks), in module order (filled once every module is set up). */
  emailChanged: readonly UserRegisteredHook[];
  /**
   * The build's user roles (ModuleParts.userRoles), null when no module provides them. Set once every
   * module is set up: read it when a request needs it, not in `setup`.
   */
  userRoles: UserRoles | null;
  /** OAuth clients of every tenant (registration, lookup, redirect URIs). */
  clients: Clients;
  /** Tenants as the operator manages them (create, settings). */
  tenantAdmin: TenantAdmin;
}

/**
 * Roles users hold, for modules that are not the one keeping them (filter users by role, give an invited
 * user the roles of the invitation). At most one module in a build provides it; names are the roles'.
 */
export interface UserRoles {
  /** Of `names`, those the tenant has no role by (empty: all exist). */
  unknown(db: Queryable, tenantId: string, names: readonly string[]): Promise<string[]>;
  /** Gives the user these roles inside the caller's transaction; a name the tenant no longer has is skipped. */
  assign(tx: Queryable, tenantId: string, userId: string, names: readonly string[]): Promise<void>;
  /**
   * An SQL condition true for the rows of users alias `alias` holding the role whose name is parameter
   * `$roleParam` in the tenant `$tenantParam`: only the alias and the indexes go into the text.
   */
  userHasRole: (alias: string, tenantParam: number, roleParam: number) => string;
  /**
   * Makes sure the tenant has this role as a system role (one the admin API can neither rename nor
   * delete): created when missing, marked system when it exists. Safe to run concurrently.
   */
  ensureSystemRole(db: Queryable, tenantId: string, name: string, description: string): Promise<void>;
  /** Whether the user holds the role now (read from the database, not from a token's claims). */
  holds(db: Queryable, tenantId: string, userId: string, name: string): Promise<boolean>;
}

/**
 * A module's part of one user's data export (GDPR Art. 15 and 20: `GET …/users/{id}/export`): the rows
 * it holds about the user, as JSON, WITHOUT secrets (no hashes, no sealed secrets, no TOTP seeds, no
 * tokens): what the person may read about themselves. Runs in the export's read transaction.
 */
export type UserExport = (db: Queryable, tenant: Tenant, userId: string) => Promise<Record<string, unknown>>;

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

/**
 * A second way into the admin API besides its API keys (at most one module in a build provides it): asked
 * about a bearer credential that is not a live API key. Null when it is not one of its own, or not valid
 * (the admin API answers 401); it throws a HelloJohnError (`access_denied`, 403) to refuse a valid one.
 * The admin API maps the person to its admins row (found or created by email) with full `admin` scope.
 */
export interface AdminAuthenticator {
  /** How the caller signed in, as `GET /v2/admin/me` says (`via`). */
  via: Exclude<AdminVia, 'api_key'>;
  authenticate(token: string): Promise<{ email: string; sessionId: string } | null>;
}

/**
 * The operators' sign-in accounts of the admin console (at most one module in a build provides them):
 * `hellojohn admin create <email> --console` makes one.
 */
export interface OperatorAccounts {
  /**
   * Makes (or completes) the console account of `email` with this password, the console's tenant and
   * client included. An existing account keeps its password and gets the role.
   */
  create(email: string, password: string): Promise<{ created: boolean; userId: string; consoleUrl: string }>;
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
   * Ends a sign-in a module's page form runs (`core.login.browser(…, 'page')` with its Authenticator), as
   * the sign-in form's own: signed in, the session starts and the authorization in progress goes on (or
   * to `returnTo`); a second step shows the /mfa page. A refusal (a HelloJohnError other than
   * service_unavailable) goes to `refused`, which shows the module's own page; without it, the sign-in
   * page is shown again with the error's message and status (and `email`, as typed).
   */
  finishSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: Tenant,
    form: { interaction: Interaction | null; returnTo?: string; email?: string },
    signIn: () => Promise<LoginOutcome<BrowserLogin>>,
    refused?: (error: HelloJohnError) => FastifyReply | Promise<FastifyReply>,
  ): Promise<FastifyReply>;
  /**
   * Ends a module's after-sign-up step (SignUpStep) whose page is `from`: on to the next module's step
   * that applies, else where the sign-up was going: the authorization in progress (`interaction`, with
   * the browser's session, which counts as signed in during it), or `returnTo`, or /login. Without a
   * session in this browser: to the sign-in page.
   */
  continueSignUp(
    request: FastifyRequest,
    reply: FastifyReply,
    tenant: Tenant,
    form: { interaction: Interaction | null; returnTo?: string },
    from: string,
  ): Promise<FastifyReply>;
}

/**
 * A page a module shows once, right after someone creates an account on the hosted pages and is signed
 * in ("Sign in faster next time: add a passkey"), before the flow goes on. The core's sign-up sends the
 * browser to the first step that applies, `GET <path>?interaction=<id>` (an authorization in progress)
 * or `?return_to=<path>`; the page ends with PageKit.continueSignUp. With no step, the sign-up goes on
 * as it always did.
 */
export interface SignUpStep {
  /** The module's page (GET), a path under the tenant's base path. */
  path: string;
  /** Whether the tenant shows it (the module's feature is on there). */
  applies(tenant: Tenant): boolean;
}

/** What a section of the account page is rendered from: the signed-in user of this browser, and the page. */
export interface AccountSectionArgs {
  tenant: Tenant;
  user: { id: string; email: string; emailVerified: boolean; name: string | null };
  /** Whether the user has a password (cards do not speak of one to an account without it). */
  hasPassword: boolean;
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
 * (with the CSRF token), which answer with a 303 to `/account?notice=<code>#<id>` when they are done.
 */
export interface AccountSection {
  /** kebab-case, unique on the page: the card's element id (`#<id>`) and its heading's. */
  id: string;
  /** The card's heading. */
  title: string;
  /** The card's body, built with the `markup` tag (src/http/views/layout.ts), which escapes what it holds. */
  render(args: AccountSectionArgs): Promise<Html>;
  /**
   * Confirmations the page shows in this card for `?notice=<code>` (say "Two-step sign-in is on."), by
   * code. Redirect to `/account?notice=<code>#<id>`: the browser scrolls to the card.
   */
  notices?: Readonly<Record<string, string>>;
  /** Scripts of the module's the card needs (paths under the tenant's base path); the page loads each once. */
  scripts?: readonly string[];
}

/** What a module adds to a tenant's sign-in page; paths are relative to the tenant's base path. */
export interface SignInPageParts {
  /** Links under the form ("Forgot your password?"). */
  links?: readonly { href: string; label: string }[];
  /** Other ways to sign in, as buttons above the form ("Continue with Google", a passkey). */
  buttons?: readonly LoginButton[];
  /** Scripts the page loads (served by the module); the page allows scripts only when there are some. */
  scripts?: readonly string[];
  /** Tokens appended to the email field's autocomplete (`webauthn`: passkeys offered as autofill). */
  autocomplete?: readonly string[];
}

/** Links and text a module adds to the hosted pages. */
export interface PageContributions {
  /** What the module adds to a tenant's sign-in page: only the methods that tenant turned on. */
  signInPage?: (tenant: Tenant) => SignInPageParts;
  /** Sections of the account page, in this order (see AccountSection). */
  accountSections?: readonly AccountSection[];
  /** A page shown right after a sign-up on the hosted pages (see SignUpStep). */
  afterSignUp?: SignUpStep;
}

/**
 * The group a module command joins, `hellojohn <group> <name>`: one of the core's (`tenants`, `clients`,
 * `users`) or one a module declares (FeatureModule.commandGroups).
 */
export type CommandGroup = string;

/** A command group a module owns (`hellojohn webhooks …`): declared once, by that module. */
export interface ModuleCommandGroup {
  /** kebab-case; not a core command's name. */
  name: string;
  /** One line, for `hellojohn --help`. */
  description: string;
}

/**
 * A command a module adds to the CLI. Declared on the module (the command line is built before any
 * database is opened); its handler comes from `setup` (ModuleParts.commands), so it runs with the
 * module's own services. Every module command is about one tenant: the core adds `--tenant <slug>`
 * (default `default`) and `--json`.
 */
export interface ModuleCommand {
  group: CommandGroup;
  /** kebab-case, unique in its group. */
  name: string;
  description: string;
  options?: readonly CommandOption[];
}

export interface CommandOption {
  /** The long flag, with a value (`--email <email>`) or without (a switch, `--verified`). */
  flags: string;
  description: string;
  /** The only values accepted; anything else is a usage error. */
  choices?: readonly string[];
}

/** What a command prints: `json` with `--json`, else `text` (for people). */
export interface CommandOutput {
  text: string;
  json: unknown;
}

/**
 * Runs a module command on its tenant, with the options given by flag name (`--remember-device-days 7`:
 * `{ 'remember-device-days': '7' }`; a switch: `true`). A HelloJohnError it throws is printed as one line
 * and exits 2 when it is `invalid_request` (bad arguments, like a usage error), else 1.
 */
export type CommandHandler = (
  tenant: Tenant,
  options: Readonly<Record<string, string | true>>,
) => Promise<CommandOutput>;

/**
 * A background loop a module runs on every serving instance (`hellojohn serve`): started once the app is
 * built, stopped when it closes (before the database is). Never started by CLI commands, nor by test apps
 * unless they ask. Every instance runs it at once, so it shares its work through the database (claim rows
 * with `FOR UPDATE SKIP LOCKED` in short transactions, poll on an interval) and keeps no session state: no
 * LISTEN, no advisory session locks, nothing PgBouncer's transaction mode would break.
 */
export interface ModuleWorker {
  /** snake_case, for logs. */
  name: string;
  /** Starts the loop; `stop` resolves once the work in flight has ended. */
  start(): { stop(): Promise<void> };
}

/** Everything a module adds once it is set up. Every member is optional. */
export interface ModuleParts {
  /** Tenant-scoped routes, registered at the root (default tenant) and under /t/{tenant}. */
  routes?: FastifyPluginAsync<{ kit: RouteKit }>;
  /**
   * Installation-wide routes, registered once at the root (not per tenant, not behind the admin token):
   * the module sets its own headers, caching and schemas (the admin console's files at /admin).
   */
  siteRoutes?: FastifyPluginAsync;
  /** Accepts credentials other than API keys on the admin API (see AdminAuthenticator; at most one). */
  adminAuthenticator?: AdminAuthenticator;
  /** The console's operator accounts, for the CLI (see OperatorAccounts; at most one). */
  operatorAccounts?: OperatorAccounts;
  /**
   * Runs once when the server app is ready, before it takes requests (`serve`, and test apps; never the CLI).
   * Every instance runs it, so it must be idempotent and safe to run concurrently; a throw stops the start.
   */
  onReady?: () => Promise<void>;
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
  /**
   * Rules the authorization endpoint adds to its request checks (throw an OAuthError to refuse). They run
   * after the core's and may narrow or add to `request.scopes` (scopes of an API resource the request
   * names, which the core's scope check does not know).
   */
  authorizationChecks?: readonly Check[];
  /**
   * What the token endpoint's access tokens carry beyond the core's claims (at most one module in a build
   * sets it): RFC 8707 resource indicators (the `resource` of a token request: its audience, the scope
   * that API allows, its lifetime) and extra claims (roles…). Told of every code issued (the OAuth session
   * id its later token requests name), and asked for every access token the endpoint issues. Without
   * one, tokens are for our own APIs and any `resource` is `invalid_target`. See src/oauth/token-policy.ts.
   */
  accessTokenPolicy?: AccessTokenPolicy;
  /** Reasons an authorization sends the user to sign in again (the login prompt's checks). */
  loginChecks?: readonly LoginCheck[];
  /**
   * Hooks into the core's use cases. `emailChanged`: an admin changed the user's address (`user` is the
   * row after the change; inside its transaction, like userRegistered; the verification mail when the new
   * address is not verified). `clientDeleted`: an OAuth client is being deleted; drop the module's rows
   * about it (inside the deletion's transaction), so a client later registered with the same id inherits
   * nothing.
   */
  hooks?: {
    userRegistered?: UserRegisteredHook;
    emailChanged?: UserRegisteredHook;
    clientDeleted?: ClientDeletedHook;
  };
  /** The module's part of a user's data export (see UserExport): never a secret. */
  userExport?: UserExport;
  /** The roles users hold (see UserRoles; at most one module in a build sets it). */
  userRoles?: UserRoles;
  /** Scopes the module adds, with the claims each releases (ID token, UserInfo, discovery). */
  scopes?: readonly ScopeDefinition[];
  /** Members added to the OpenID Provider metadata (discovery). */
  discovery?: (tenant: Tenant) => Record<string, unknown>;
  /** Members added to /v2/auth/config. */
  authConfig?: (tenant: Tenant) => Record<string, unknown>;
  pages?: PageContributions;
  sweeperJobs?: readonly SweeperJob[];
  /** Background loops run on every serving instance (see ModuleWorker). */
  workers?: readonly ModuleWorker[];
  /** The handlers of the module's commands (FeatureModule.commands), by `<group> <name>`. */
  commands?: Readonly<Record<string, CommandHandler>>;
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
  /** The command groups the module owns; its commands and other modules' may join them. */
  readonly commandGroups?: readonly ModuleCommandGroup[];
  /** The module's CLI commands (their handlers: ModuleParts.commands). */
  readonly commands?: readonly ModuleCommand[];
  setup(core: CoreServices): ModuleParts;
}

/** Identity function that checks a module's shape where it is declared. */
export function defineModule(module: FeatureModule): FeatureModule {
  return module;
}
