// The admin console's server side, without HTTP: the operators' tenant (`admin`) with its OAuth client
// and its `admin` role (made or brought up to date by `ensure`), the operators' console accounts, and the
// check of a console access token for the admin API. Operators are users of their own tenant, never mixed
// with any tenant's end users; the role is asked of the database on every request, so taking it away
// takes effect at once, and the token is checked against its live session, so a revoked session ends the
// console's access too.
import type { Logger } from 'pino';
import { accountKeys } from '../../auth/email-address.js';
import type { Registration } from '../../auth/registration.js';
import type { SessionAccess } from '../../auth/session-access.js';
import type { Clients, NewClient } from '../../clients/clients.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { findTenant } from '../../db/repositories/tenants.js';
import { findUserByEmail } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { TenantAdmin } from '../../admin/tenants.js';
import { createTenantChecked } from '../../admin/tenants.js';
import type { UserRoles } from '../../kernel/module.js';
import { signUpEnabled } from '../../tenants/settings.js';
import { DEFAULT_TENANT, type Tenant, type Tenants } from '../../tenants/tenants.js';
import { consoleEvents } from './events.js';
import { anyUserHoldsRole } from './repository.js';

/** The operators' tenant (Keycloak's "master" realm): its slug is reserved for this. */
export const CONSOLE_TENANT = 'admin';
export const CONSOLE_CLIENT_ID = 'hellojohn-console';
export const ADMIN_ROLE = 'admin';
// No offline_access: the console's access ends with the operator's sign-in session (a logout ends it).
const CONSOLE_SCOPES = ['openid', 'profile', 'email'];

export interface ConsoleDeps {
  db: Database;
  baseUrl: URL;
  logger: Logger;
  tenants: Tenants;
  tenantAdmin: TenantAdmin;
  clients: Clients;
  registration: Registration;
  sessionAccess: SessionAccess;
  /** The build's user roles; read when needed (they are set once every module is set up). */
  userRoles: () => UserRoles | null;
}

/** Where the console signs in, as GET /admin/config.json tells it. */
export interface ConsoleLinks {
  issuer: string;
  client_id: string;
  redirect_uri: string;
  post_logout_redirect_uri: string;
}

/** How an operator's console account came to be, for the audit trail. */
export type AccountVia = 'cli' | 'environment' | 'first_run_page';

/** Where a first-run request came from: the socket's address (not a forwarded one), and whether a proxy forwarded it. */
export interface FirstRunOrigin {
  socketAddress: string | undefined;
  proxied: boolean;
  /** The request's Origin header, when it has one. */
  origin: string | undefined;
}

const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/;

export class ConsoleService {
  private readonly base: string;

  constructor(private readonly deps: ConsoleDeps) {
    this.base = deps.baseUrl.href.replace(/\/$/, '');
  }

  /** The console's address: where `admin create --console` sends the operator. */
  get consoleUrl(): string {
    return `${this.base}/admin/`;
  }

  links(): ConsoleLinks {
    return {
      issuer: this.deps.tenants.issuerFor(CONSOLE_TENANT),
      client_id: CONSOLE_CLIENT_ID,
      redirect_uri: `${this.base}/admin/callback`,
      post_logout_redirect_uri: this.consoleUrl,
    };
  }

  /**
   * Creates or brings up to date the operators' tenant (sign-up off), the console's client (its redirect
   * URIs follow BASE_URL) and the system role `admin`. Idempotent, and safe when several instances run it
   * at once: each creation that loses a race finds the winner's row.
   */
  async ensure(): Promise<Tenant> {
    const roles = this.roles();
    let tenant = await this.findTenant();
    if (!tenant) {
      await createTenantChecked(
        this.deps.db,
        { slug: CONSOLE_TENANT, name: 'Operators' },
        { via: 'internal' },
      ).catch(ignoreConflict);
      this.deps.tenants.invalidate();
      tenant = await this.deps.tenants.resolve(CONSOLE_TENANT);
    }
    if (signUpEnabled(tenant)) {
      await this.deps.tenantAdmin.update(
        CONSOLE_TENANT,
        { settings: { sign_up: { enabled: false } } },
        { via: 'internal', operator: true },
      );
      tenant = await this.deps.tenants.resolve(CONSOLE_TENANT);
    }
    const links = this.links();
    const uris = {
      redirectUris: [links.redirect_uri],
      postLogoutRedirectUris: [links.post_logout_redirect_uri],
    };
    const client = await this.deps.clients.get(tenant, CONSOLE_CLIENT_ID);
    if (!client) {
      const spec: NewClient = {
        clientId: CONSOLE_CLIENT_ID,
        name: 'HelloJohn admin console',
        type: 'public',
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        scopes: CONSOLE_SCOPES,
        // First-party: the operators' own tool, so no consent screen.
        firstParty: true,
        ...uris,
      };
      await this.deps.clients.create(tenant, spec).catch(ignoreConflict);
    } else if (
      !sameList(client.redirectUris, uris.redirectUris) ||
      !sameList(client.postLogoutRedirectUris, uris.postLogoutRedirectUris)
    ) {
      await this.deps.clients.update(tenant, CONSOLE_CLIENT_ID, uris);
    }
    await roles.ensureSystemRole(
      this.deps.db,
      tenant.id,
      ADMIN_ROLE,
      "Operators of this installation: may use the admin console (the operators' tenant only).",
    );
    // The tenant now has a role: instances drop what they cached of it (token issuing reads roles again).
    await this.deps.tenants.changed(tenant.id);
    return tenant;
  }

  /**
   * Whether the console's first-run page may create the first admin (POST /v2/admin/register): only while
   * none exists, on a local install (BASE_URL on a loopback host, as `npm start` runs it, where the CLI
   * cannot open the embedded database the server holds), for a request from this machine that no proxy
   * forwarded and no other site sent. Anywhere else the first admin comes from the CLI or the environment.
   * The request's side only: the caller also checks that no console admin exists (adminExists).
   */
  firstRunAllowed(from: FirstRunOrigin): boolean {
    if (!LOOPBACK_HOST.test(this.deps.baseUrl.hostname)) return false;
    if (!from.socketAddress || !LOOPBACK_ADDRESS.test(from.socketAddress) || from.proxied) return false;
    return from.origin === undefined || from.origin === this.deps.baseUrl.origin;
  }

  private firstRun: Promise<unknown> = Promise.resolve();

  /** The first admin, from the first-run page (see firstRunAllowed); one at a time, and only the first. */
  registerFirst(email: string, password: string, from: FirstRunOrigin): Promise<{ userId: string }> {
    const run = this.firstRun.then(async () => {
      if (!this.firstRunAllowed(from) || (await this.adminExists()))
        throw new HelloJohnError(
          'access_denied',
          'The first administrator can be created here only on a local install, from the machine HelloJohn ' +
            'runs on, before any exists. Use `hellojohn admin create <email> --console` instead.',
        );
      const made = await this.createAccount(email, password, 'first_run_page');
      return { userId: made.userId };
    });
    this.firstRun = run.catch(() => {});
    return run;
  }

  /** Whether any account of the operators' tenant holds the admin role (false before the first setup). */
  async adminExists(): Promise<boolean> {
    const tenant = await this.findTenant();
    if (!tenant) return false;
    return anyUserHoldsRole(this.deps.db, tenant.id, ADMIN_ROLE, this.roles().userHasRole);
  }

  /**
   * The console account of `email`: made with this password (the tenant's password policy applies), the
   * address verified, holding the admin role; an account that exists keeps its password and gets the
   * role. Runs `ensure` first. Audited `admin.console_account_created`.
   */
  async createAccount(
    email: string,
    password: string,
    via: AccountVia,
  ): Promise<{ created: boolean; userId: string; consoleUrl: string }> {
    const roles = this.roles();
    const tenant = await this.ensure();
    const giveRole = async (userId: string, created: boolean) => {
      await this.deps.db.transaction(async (tx) => {
        await roles.assign(tx, tenant.id, userId, [ADMIN_ROLE]);
        await this.audit(tx, { user_id: userId, email, via, created });
      });
    };
    const existing = await findUserByEmail(this.deps.db, tenant.id, accountKeys(email));
    if (existing) {
      await giveRole(existing.id, false);
      return { created: false, userId: existing.id, consoleUrl: this.consoleUrl };
    }
    try {
      const user = await this.deps.registration.registerByAdmin(
        tenant,
        { email, password, emailVerified: true },
        { via: 'cli' },
        async (tx, user) => {
          await roles.assign(tx, tenant.id, user.id, [ADMIN_ROLE]);
          await this.audit(tx, { user_id: user.id, email: user.email, via, created: true });
        },
      );
      return { created: true, userId: user.id, consoleUrl: this.consoleUrl };
    } catch (error) {
      // Made at the same moment by another instance (the environment's admin at startup): give it the role.
      if (!(error instanceof HelloJohnError && error.code === 'email_taken')) throw error;
      const raced = await findUserByEmail(this.deps.db, tenant.id, accountKeys(email));
      if (!raced) throw error;
      await giveRole(raced.id, false);
      return { created: false, userId: raced.id, consoleUrl: this.consoleUrl };
    }
  }

  /**
   * At startup: with HELLOJOHN_ADMIN_EMAIL/_PASSWORD, the console account when no console admin exists
   * yet (an existing one is never touched); without them, `ensure` once the console was set up (the
   * client's redirect URIs follow a changed BASE_URL).
   */
  async atStartup(bootstrap: { email: string; password: string } | undefined): Promise<void> {
    if (bootstrap) {
      await this.ensure();
      if (await this.adminExists()) {
        this.deps.logger.info('a console admin exists: HELLOJOHN_ADMIN_EMAIL and _PASSWORD are not used');
        return;
      }
      const made = await this.createAccount(bootstrap.email, bootstrap.password, 'environment');
      this.deps.logger.info(
        { user_id: made.userId, console: made.consoleUrl },
        made.created ? 'console admin created from the environment' : 'console admin role given',
      );
      return;
    }
    // The console's trouble (a redirect URI BASE_URL cannot be: http on a public host) must not stop the
    // server, only the console.
    try {
      if (await this.findTenant()) await this.ensure();
    } catch (error) {
      this.deps.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'the admin console could not be set up',
      );
    }
  }

  /**
   * The admin API's check of a console access token: an access token of the operators' tenant (its
   * session live), issued to the console's client; then the admin role, read now. Null for anything else
   * (401); `access_denied` (403) for a valid token of an account without the role.
   */
  async authenticate(token: string): Promise<{ email: string; sessionId: string } | null> {
    const tenant = await this.findTenant();
    if (!tenant) return null;
    let authenticated;
    try {
      authenticated = await this.deps.sessionAccess.authenticate(tenant, token);
    } catch (error) {
      if (error instanceof HelloJohnError && error.code === 'invalid_token') return null;
      throw error;
    }
    const { claims, session } = authenticated;
    if (claims.client_id !== CONSOLE_CLIENT_ID || !claims.sid) return null;
    if (!(await this.roles().holds(this.deps.db, tenant.id, session.user_id, ADMIN_ROLE)))
      throw new HelloJohnError(
        'access_denied',
        `This account does not have the ${ADMIN_ROLE} role of the "${CONSOLE_TENANT}" tenant: an operator gives it (or \`hellojohn admin create <email> --console\`).`,
      );
    return { email: session.email, sessionId: claims.sid };
  }

  private async findTenant(): Promise<Tenant | null> {
    return this.deps.tenants.resolve(CONSOLE_TENANT).catch((error: unknown) => {
      if (error instanceof HelloJohnError && error.code === 'not_found') return null;
      throw error;
    });
  }

  private roles(): UserRoles {
    const roles = this.deps.userRoles();
    if (!roles) throw new Error('The admin console needs a module that keeps user roles (rbac).');
    return roles;
  }

  /** Admins belong to the installation: their trail is the default tenant's, as `admin.created`. */
  private async audit(tx: Queryable, data: Record<string, unknown>) {
    // Read in the transaction: the embedded database has one connection, which the transaction holds.
    const home = await findTenant(tx, DEFAULT_TENANT);
    if (home) await insertAuditEvent(tx, { tenantId: home.id, type: consoleEvents.accountCreated, data });
  }
}

function ignoreConflict(error: unknown): void {
  if (!(error instanceof HelloJohnError && error.code === 'conflict')) throw error;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
