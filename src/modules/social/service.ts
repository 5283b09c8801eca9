// Social sign-in's rules (no HTTP types): each tenant's providers, the flow state that leaves for the
// provider and comes back (sealed: PKCE verifier, nonce, this browser's binding), who a provider's user is
// here (a linked account; an existing account only by auto-link; otherwise a new account), linking and
// unlinking, and the one-time code an application exchanges for its tokens.
import { saveTenantSetting } from '../../db/repositories/tenants.js';
import { createHash, randomBytes } from 'node:crypto';
import type { Identities } from '../../auth/identities.js';
import type { Registration } from '../../auth/registration.js';
import { accountKeys, parseEmailAddress } from '../../auth/email-address.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import { cleanName } from '../../auth/registration.js';
import type { SocialConfig } from '../../config.js';
import { providerUrl } from '../../config/social.js';
import { SealedState } from '../../crypto/sealed-state.js';
import { open, seal } from '../../crypto/secretbox.js';
import { hashToken, newOpaqueToken } from '../../crypto/tokens.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { findClient } from '../../db/repositories/clients.js';
import { findUserByEmail, findUserById, type UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { Authenticator, IdentitySource, UserIdentity } from '../../kernel/authentication.js';
import type { RequestLimits } from '../../security/request-limits.js';
import type { Tenant, Tenants } from '../../tenants/tenants.js';
import { socialEvents } from './events.js';
import { ProviderProtocol, sameText, type ProviderSetup } from './protocol.js';
import {
  PROVIDERS,
  PROVIDER_KINDS,
  type Profile,
  type ProviderKind,
  type ProviderOptions,
} from './providers.js';
import {
  deleteIdentity,
  deleteProvider,
  findProvider,
  insertExchangeCode,
  insertIdentity,
  listIdentities,
  listProviders,
  saveProvider,
  takeExchangeCode,
  useIdentity,
  type ProviderRow,
} from './repository.js';
import type { ProviderInput, ProviderView } from './schemas.js';

/** The RFC 8176 amr of a social sign-in: it has no value for federation; `fed` as Microsoft Entra uses it. */
export const SOCIAL_AMR = ['fed'] as const;

/** What the hosted pages know of a tenant's enabled providers (from its settings, no query). */
export interface EnabledProvider {
  id: string;
  kind: ProviderKind;
  label: string;
}

/** What leaves for the provider in `state` and comes back, sealed (short keys: it rides in a URL). */
export interface FlowState {
  /** The provider id. */
  p: string;
  /** PKCE verifier. */
  v: string;
  nonce: string;
  /** SHA-256 of this browser's binding cookie. */
  b: string;
  /** The authorization in progress (hosted sign-in). */
  i?: string;
  /** A page of ours to go to once signed in. */
  r?: string;
  /** An application's sign-in: its client, redirect URI, PKCE challenge and state. */
  a?: { c: string; u: string; h: string; s?: string };
  /** Linking from the account page: the user and their browser session. */
  l?: { u: string; s: string };
  expiresAt: number;
}

export type FlowMode = Pick<FlowState, 'i' | 'r' | 'a' | 'l'>;

export interface AdminActor {
  via: 'admin_api';
  adminId?: string;
  meta?: RequestMeta;
}

export interface SocialDeps {
  db: Database;
  tenants: Tenants;
  config: SocialConfig;
  secretboxMasterKey: Buffer;
  identities: Identities;
  limits: RequestLimits;
  /** Where a social sign-up makes its account (the core's one path, with the modules' hooks). */
  registration: Pick<Registration, 'registerVouched'>;
}

const BINDING = /^[A-Za-z0-9_-]{43}$/;
/** Other methods' names in the identities list (UserIdentity.method): a provider may not take them. */
const RESERVED_IDS = ['password', 'passkey', 'webauthn', 'magic-link', 'email-code'];

export class Social {
  readonly protocol: ProviderProtocol;
  private readonly flows: SealedState<FlowState>;

  constructor(private readonly deps: SocialDeps) {
    this.protocol = new ProviderProtocol(deps.config.httpTimeoutMs);
    this.flows = new SealedState(
      deps.secretboxMasterKey,
      { keyInfo: 'hellojohn social flow v1', label: 'social-flow' },
      2048,
    );
  }

  // --- the tenant's providers ---------------------------------------------------------------------

  /** The enabled providers, in their order (tenant settings: the hosted pages read them synchronously). */
  enabled(tenant: Tenant): EnabledProvider[] {
    const social = tenant.settings.social as { providers?: unknown } | undefined;
    const list = Array.isArray(social?.providers) ? (social.providers as Partial<EnabledProvider>[]) : [];
    return list.filter(
      (p): p is EnabledProvider =>
        typeof p.id === 'string' &&
        typeof p.label === 'string' &&
        (PROVIDER_KINDS as readonly string[]).includes(p.kind ?? ''),
    );
  }

  async list(tenant: Tenant): Promise<ProviderView[]> {
    return (await listProviders(this.deps.db, tenant.id)).map((row) => this.view(tenant, row));
  }

  async get(tenant: Tenant, id: string): Promise<ProviderView> {
    const row = await findProvider(this.deps.db, tenant.id, id);
    if (!row) throw new HelloJohnError('not_found', 'No such provider.');
    return this.view(tenant, row);
  }

  /** Creates or replaces a provider's configuration (the secret sealed; kept when left out). */
  async save(tenant: Tenant, id: string, input: ProviderInput, actor: AdminActor): Promise<ProviderView> {
    const kind = input.kind ?? ((PROVIDER_KINDS as readonly string[]).includes(id) ? id : null);
    if (!kind)
      throw new HelloJohnError(
        'invalid_request',
        `Name the provider's kind (one of ${PROVIDER_KINDS.join(', ')}).`,
      );
    const definition = PROVIDERS[kind as ProviderKind];
    if (kind !== 'oidc' && id !== kind)
      throw new HelloJohnError('invalid_request', `A ${definition.label} provider has the id "${kind}".`);
    if (RESERVED_IDS.includes(id))
      throw new HelloJohnError('invalid_request', `"${id}" names another way to sign in; choose another id.`);
    if (kind === 'oidc' && (PROVIDER_KINDS as readonly string[]).includes(id))
      throw new HelloJohnError('invalid_request', `"${id}" names a built-in provider; choose another id.`);
    if (kind === 'oidc' && !input.label)
      throw new HelloJohnError('invalid_request', 'A generic OpenID Connect provider needs a label.');
    if (input.issuer !== undefined) {
      if (!definition.tenantUrl)
        throw new HelloJohnError(
          'invalid_request',
          `${definition.label} has a fixed issuer; leave issuer out.`,
        );
      if (!providerUrl(input.issuer))
        throw new HelloJohnError(
          'invalid_request',
          'The issuer must be an https:// URL without query or fragment.',
        );
    } else if (kind === 'oidc') {
      throw new HelloJohnError('invalid_request', 'A generic OpenID Connect provider needs its issuer.');
    }
    const options = input.options ?? {};
    if (options.tenant !== undefined && kind !== 'microsoft')
      throw new HelloJohnError('invalid_request', 'options.tenant is for Microsoft only.');
    if ((options.team_id !== undefined || options.key_id !== undefined) && kind !== 'apple')
      throw new HelloJohnError('invalid_request', 'options.team_id and options.key_id are for Apple only.');
    if (kind === 'apple' && (!options.team_id || !options.key_id))
      throw new HelloJohnError('invalid_request', 'Apple needs options.team_id and options.key_id.');
    if (definition.protocol === 'oidc' && input.scopes && !input.scopes.includes('openid'))
      throw new HelloJohnError('invalid_request', 'The scopes of an OpenID Connect provider include openid.');

    const existing = await findProvider(this.deps.db, tenant.id, id);
    if (!existing && input.client_secret === undefined && kind !== 'oidc')
      throw new HelloJohnError('invalid_request', `${definition.label} needs the client secret.`);
    if (
      kind === 'apple' &&
      input.client_secret !== undefined &&
      !/-----BEGIN PRIVATE KEY-----/.test(input.client_secret)
    )
      throw new HelloJohnError(
        'invalid_request',
        'For Apple the client secret is the .p8 private key (PEM).',
      );

    const row = await this.deps.db.transaction(async (tx) => {
      const saved = await saveProvider(tx, {
        tenant_id: tenant.id,
        id,
        kind,
        label: input.label ?? null,
        client_id: input.client_id,
        secretSealed:
          input.client_secret === undefined
            ? undefined
            : seal(this.deps.secretboxMasterKey, Buffer.from(input.client_secret), secretAad(tenant, id)),
        scopes: input.scopes ?? [...definition.scopes],
        issuer: input.issuer ?? null,
        options,
        auto_link: input.auto_link ?? false,
        enabled: input.enabled ?? true,
      });
      await this.syncSettings(tx, tenant);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: socialEvents.providerSaved,
        ...(actor.meta ? auditMeta(actor.meta) : {}),
        data: {
          via: actor.via,
          admin_id: actor.adminId ?? null,
          provider: id,
          kind,
          enabled: saved.enabled,
          auto_link: saved.auto_link,
          secret_changed: input.client_secret !== undefined,
        },
      });
      return saved;
    });
    await this.deps.tenants.changed(tenant.id);
    return this.view(tenant, row);
  }

  async remove(tenant: Tenant, id: string, actor: AdminActor): Promise<void> {
    const removed = await this.deps.db.transaction(async (tx) => {
      if (!(await deleteProvider(tx, tenant.id, id))) return false;
      await this.syncSettings(tx, tenant);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: socialEvents.providerRemoved,
        ...(actor.meta ? auditMeta(actor.meta) : {}),
        data: { via: actor.via, admin_id: actor.adminId ?? null, provider: id },
      });
      return true;
    });
    if (!removed) throw new HelloJohnError('not_found', 'No such provider.');
    await this.deps.tenants.changed(tenant.id);
  }

  /** The callback URL of a provider: what its console must list as the redirect URI. */
  callbackUrl(tenant: Tenant, id: string): string {
    return `${tenant.issuer}/v2/auth/social/${id}/callback`;
  }

  /** An enabled provider, ready to use; not_found otherwise (disabled, unknown, or its secret unreadable). */
  async setup(tenant: Tenant, id: string): Promise<ProviderSetup & { autoLink: boolean }> {
    const row = await findProvider(this.deps.db, tenant.id, id);
    if (!row?.enabled || !(PROVIDER_KINDS as readonly string[]).includes(row.kind))
      throw new HelloJohnError('not_found', 'This sign-in option is not available.');
    const definition = PROVIDERS[row.kind as ProviderKind];
    const configured = this.deps.config.urls[row.kind as keyof SocialConfig['urls']];
    const address = row.issuer ?? configured?.href ?? definition.defaultUrl;
    const base = address ? providerUrl(address) : null;
    if (!base) throw new HelloJohnError('not_found', 'This sign-in option is not available.');
    const options = row.options as ProviderOptions;
    return {
      id: row.id,
      definition,
      label: row.label ?? definition.label,
      clientId: row.client_id,
      clientSecret: row.client_secret_sealed
        ? open(this.deps.secretboxMasterKey, row.client_secret_sealed, secretAad(tenant, row.id)).toString()
        : null,
      scopes: row.scopes,
      url: definition.issuerOf ? new URL(definition.issuerOf(base, options)) : base,
      options,
      autoLink: row.auto_link,
    };
  }

  private async syncSettings(tx: Queryable, tenant: Tenant): Promise<void> {
    const rows = await listProviders(tx, tenant.id);
    // What the hosted pages need of the enabled providers, in the tenant's settings (`social`).
    await saveTenantSetting(tx, tenant.id, 'social', {
      providers: rows
        .filter((r) => r.enabled)
        .map((r) => ({ id: r.id, kind: r.kind, label: r.label ?? PROVIDERS[r.kind as ProviderKind].label })),
    });
  }

  private view(tenant: Tenant, row: ProviderRow): ProviderView {
    const definition = PROVIDERS[row.kind as ProviderKind];
    return {
      id: row.id,
      kind: row.kind,
      label: row.label ?? definition.label,
      client_id: row.client_id,
      client_secret_set: row.client_secret_sealed !== null,
      scopes: row.scopes,
      issuer: row.issuer,
      options: row.options as Record<string, string>,
      auto_link: row.auto_link,
      enabled: row.enabled,
      redirect_uri: this.callbackUrl(tenant, row.id),
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    };
  }

  // --- the flow -------------------------------------------------------------------------------------

  /** How long the user has between leaving for the provider and coming back. */
  get flowTtlMs(): number {
    return this.deps.config.flowTtlMs;
  }

  /** A new binding for a browser that has none (its cookie's value). */
  newBinding(): string {
    return randomBytes(32).toString('base64url');
  }

  validBinding(value: string | undefined): string | null {
    return value && BINDING.test(value) ? value : null;
  }

  /** Leaves for the provider: the URL with a sealed state bound to this browser's binding. */
  async start(tenant: Tenant, setup: ProviderSetup, binding: string, mode: FlowMode): Promise<URL> {
    const verifier = randomBytes(32).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const state = this.flows.seal(tenant.id, {
      p: setup.id,
      v: verifier,
      nonce,
      b: digest(binding),
      ...mode,
      expiresAt: Date.now() + this.deps.config.flowTtlMs,
    });
    return this.protocol.authorizationUrl(setup, {
      redirectUri: this.callbackUrl(tenant, setup.id),
      state,
      nonce,
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    });
  }

  /**
   * The flow a callback belongs to: the state must open (ours, this tenant, not expired), name this
   * provider, and have been started in this browser (its binding cookie). Null otherwise.
   */
  flowOf(
    tenant: Tenant,
    providerId: string,
    state: string | undefined,
    binding: string | null,
  ): FlowState | null {
    const flow = this.flows.open(tenant.id, state);
    if (!flow || flow.p !== providerId || !binding) return null;
    return sameText(flow.b, digest(binding)) ? flow : null;
  }

  /** An application may start a sign-in: a client of the tenant, and one of its registered redirect URIs. */
  async checkApplication(tenant: Tenant, clientId: string, redirectUri: string): Promise<void> {
    const client = await findClient(this.deps.db, tenant.id, clientId);
    if (!client || !client.redirect_uris.includes(redirectUri))
      throw new HelloJohnError(
        'invalid_request',
        'Unknown client_id, or redirect_uri is not one of its registered redirect URIs.',
      );
  }

  // --- who the provider's user is ---------------------------------------------------------------------

  /**
   * The account a provider's user signs in to: the one linked to them; else, when the address belongs to
   * an account, that account only if the provider verified the address and the tenant allows auto-link
   * (otherwise the user signs in another way and links from the account page); else a new account, when
   * the provider verified the address. A new account has no password.
   */
  async resolve(
    tenant: Tenant,
    setup: ProviderSetup & { autoLink: boolean },
    profile: Profile,
    meta: RequestMeta,
  ): Promise<UserRow> {
    const { db } = this.deps;
    const linked = await useIdentity(db, tenant.id, setup.id, profile.subject, profile.email);
    if (linked) {
      const user = await findUserById(db, tenant.id, linked.user_id);
      if (user) return user;
    }
    const keys = profile.email ? accountKeys(profile.email) : [];
    const existing = keys.length > 0 ? await findUserByEmail(db, tenant.id, keys) : null;
    if (existing) {
      if (!profile.emailVerified || !setup.autoLink) {
        await this.refused(
          tenant,
          setup.id,
          existing.id,
          profile.emailVerified ? 'auto_link_off' : 'email_unverified',
          meta,
        );
        throw new HelloJohnError(
          'conflict',
          `An account with this email address already exists. Sign in to it another way, then connect ${setup.label} on your account page.`,
        );
      }
      await db.transaction(async (tx) => {
        const identity = await insertIdentity(tx, {
          tenantId: tenant.id,
          userId: existing.id,
          provider: setup.id,
          subject: profile.subject,
          email: profile.email,
        });
        if (!identity) throw alreadyLinked(setup.label);
        await this.audit(tx, tenant, socialEvents.linked, existing.id, meta, {
          provider: setup.id,
          via: 'auto_link',
        });
      });
      return existing;
    }
    const email = profile.email;
    if (!email || !parseEmailAddress(email).ok || !profile.emailVerified) {
      await this.refused(tenant, setup.id, null, profile.email ? 'email_unverified' : 'no_email', meta);
      throw new HelloJohnError(
        'access_denied',
        `${setup.label} did not confirm an email address for this account, so no account can be made with it. Verify your email address at ${setup.label}, or create an account with your email address.`,
      );
    }
    let name: string | null = null;
    try {
      name = cleanName(profile.name?.slice(0, 200));
    } catch {
      name = null; // A provider's name we would refuse from a form is left out, not fatal.
    }
    // The core's registration: the user (no password, the address verified), its user.registered event,
    // the identity, and every module's userRegistered hook, in one transaction.
    try {
      return await this.deps.registration.registerVouched(
        tenant,
        {
          email,
          name,
          profile:
            profile.picture && /^https:\/\//.test(profile.picture)
              ? { picture: profile.picture.slice(0, 2000) }
              : {},
        },
        setup.id,
        meta,
        async (tx, user) => {
          const identity = await insertIdentity(tx, {
            tenantId: tenant.id,
            userId: user.id,
            provider: setup.id,
            subject: profile.subject,
            email: profile.email,
          });
          if (!identity)
            throw new HelloJohnError('conflict', `This ${setup.label} account was just linked; try again.`);
          await this.audit(tx, tenant, socialEvents.linked, user.id, meta, {
            provider: setup.id,
            via: 'sign_up',
          });
        },
      );
    } catch (error) {
      // Made a moment ago by another request: the user tries again and finds it linked or existing.
      if (error instanceof HelloJohnError && error.code === 'email_taken')
        throw new HelloJohnError(
          'conflict',
          'An account with this email address was just created; try again.',
        );
      throw error;
    }
  }

  /** Links a provider's user to a signed-in user (from the account page). */
  async link(
    tenant: Tenant,
    userId: string,
    setup: ProviderSetup,
    profile: Profile,
    meta: RequestMeta,
  ): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const identity = await insertIdentity(tx, {
        tenantId: tenant.id,
        userId,
        provider: setup.id,
        subject: profile.subject,
        email: profile.email,
      });
      if (!identity) {
        const mine = (await listIdentities(tx, tenant.id, userId)).find((i) => i.provider === setup.id);
        if (mine?.subject === profile.subject) return; // Linked already: nothing to do.
        throw mine
          ? new HelloJohnError(
              'conflict',
              `Another ${setup.label} account is connected; disconnect it first.`,
            )
          : alreadyLinked(setup.label);
      }
      await this.audit(tx, tenant, socialEvents.linked, userId, meta, { provider: setup.id, via: 'account' });
    });
  }

  /** Unlinks the user's account of `providerId`, unless it is their last way to sign in (409). */
  async unlink(
    tenant: Tenant,
    userId: string,
    providerId: string,
    actor: { via: 'account' | 'admin_api'; adminId?: string; meta: RequestMeta },
  ): Promise<void> {
    const identity = (await listIdentities(this.deps.db, tenant.id, userId)).find(
      (i) => i.provider === providerId,
    );
    if (!identity) throw new HelloJohnError('not_found', 'No such connected account.');
    const removed = await this.deps.identities.remove(
      tenant,
      userId,
      { method: providerId, id: identity.subject },
      async (tx) => {
        const deleted = await deleteIdentity(tx, tenant.id, userId, providerId);
        if (!deleted) return false;
        await this.audit(tx, tenant, socialEvents.unlinked, userId, actor.meta, {
          provider: providerId,
          via: actor.via,
          ...(actor.adminId ? { admin_id: actor.adminId } : {}),
        });
        return true;
      },
    );
    if (!removed) throw new HelloJohnError('not_found', 'No such connected account.');
  }

  /** The module's identities of a user, for the account page and the admin API (Identities). */
  readonly identitySource: IdentitySource = {
    list: async (db: Queryable, tenant: Tenant, userId: string): Promise<UserIdentity[]> => {
      const labels = new Map(this.enabled(tenant).map((p) => [p.id, p.label]));
      return (await listIdentities(db, tenant.id, userId)).map((row) => ({
        method: row.provider,
        id: row.subject,
        label: `${labels.get(row.provider) ?? PROVIDERS[row.provider as ProviderKind]?.label ?? row.provider}${row.email ? ` (${row.email})` : ''}`,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      }));
    },
  };

  // --- signing in ---------------------------------------------------------------------------------------

  /**
   * The Authenticator a social sign-in completes with (core.login), for a user this module already
   * resolved: it re-reads the user, so a blocked account is refused as with any method.
   */
  authenticator(providerId: string): Authenticator<string> {
    return {
      method: providerId,
      amr: SOCIAL_AMR,
      enabled: (tenant) => this.enabled(tenant).some((p) => p.id === providerId),
      verify: async (tenant, userId) => {
        const user = await findUserById(this.deps.db, tenant.id, userId);
        if (!user)
          throw new HelloJohnError('invalid_credentials', 'The sign-in is no longer valid; start again.');
        if (user.blocked) throw new HelloJohnError('access_denied', 'This account is blocked.');
        return user;
      },
    };
  }

  /** A one-time code for an application (its redirect URI gets it), bound to its PKCE challenge. */
  async issueExchangeCode(
    tenant: Tenant,
    user: UserRow,
    providerId: string,
    app: NonNullable<FlowState['a']>,
  ): Promise<string> {
    const code = newOpaqueToken();
    await insertExchangeCode(this.deps.db, {
      codeHash: hashToken(code),
      tenantId: tenant.id,
      userId: user.id,
      provider: providerId,
      clientId: app.c,
      redirectUri: app.u,
      codeChallenge: app.h,
      ttlMs: this.deps.config.exchangeCodeTtlMs,
    });
    return code;
  }

  /**
   * Spends an exchange code: the user and provider it was issued for, when the client and the PKCE
   * verifier match. The code is gone after the first try, right or wrong.
   */
  async takeExchangeCode(
    tenant: Tenant,
    input: { code: string; verifier: string; clientId: string },
    meta: RequestMeta,
  ): Promise<{ userId: string; provider: string }> {
    await this.deps.limits.checkIp('login', meta.ip);
    const row = await takeExchangeCode(this.deps.db, tenant.id, hashToken(input.code));
    const challenge = createHash('sha256').update(input.verifier).digest('base64url');
    if (!row || !sameText(row.client_id, input.clientId) || !sameText(row.code_challenge, challenge))
      throw new HelloJohnError(
        'invalid_grant',
        'The code is invalid or expired, or the code_verifier does not match.',
      );
    return { userId: row.user_id, provider: row.provider };
  }

  private async refused(
    tenant: Tenant,
    provider: string,
    userId: string | null,
    reason: string,
    meta: RequestMeta,
  ): Promise<void> {
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: socialEvents.signInRefused,
      ...(userId ? { userId } : {}),
      ...auditMeta(meta),
      data: { provider, reason },
    });
  }

  private audit(
    tx: Queryable,
    tenant: Tenant,
    type: Parameters<typeof insertAuditEvent>[1]['type'],
    userId: string,
    meta: RequestMeta | undefined,
    data: Record<string, unknown>,
  ): Promise<void> {
    return insertAuditEvent(tx, {
      tenantId: tenant.id,
      type,
      userId,
      ...(meta ? auditMeta(meta) : {}),
      data,
    });
  }
}

const alreadyLinked = (label: string) =>
  new HelloJohnError('conflict', `This ${label} account is connected to another account.`);

function secretAad(tenant: Tenant, providerId: string): string {
  return `hellojohn:social-provider:${tenant.id}:${providerId}`;
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
