// Operators of the whole installation and their API keys. A key is 256 random bits behind a typed
// prefix that says what it may do (`hj_admin_…` everything, `hj_ro_…` reading only, `hj_t_<slug>_…` one
// tenant), shown once; the database keeps its SHA-256, looked up by hash and compared again in constant
// time. Admins are not users of any tenant: they have their own table and never sign in to one.
import { timingSafeEqual } from 'node:crypto';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database, Queryable } from '../db/database.js';
import {
  findAdminByEmail,
  findLiveAdminToken,
  insertAdminToken,
  listLiveAdminTokens,
  revokeAdminToken,
  touchAdminToken,
  upsertAdmin,
  type AdminKeyScope,
  type AdminTokenListRow,
} from '../db/repositories/admins.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { findTenant } from '../db/repositories/tenants.js';
import { parseEmailAddress } from '../auth/email-address.js';
import { HelloJohnError } from '../errors.js';
import { DEFAULT_TENANT } from '../tenants/tenants.js';

export type { AdminKeyScope } from '../db/repositories/admins.js';

/** Every scope a key can have; the first is the default. */
export const ADMIN_KEY_SCOPES: readonly AdminKeyScope[] = ['admin', 'read_only', 'tenant'];

/** How a caller of the admin API authenticated: an API key, or a sign-in to the admin console. */
export type AdminVia = 'api_key' | 'console';

export interface Admin {
  id: string;
  email: string;
  /** The key this request authenticated with (a console sign-in: its session). */
  tokenId: string;
  via: AdminVia;
  scope: AdminKeyScope;
  /** The one tenant a `tenant` key may manage. */
  tenantId: string | null;
}

export interface NewAdminKeyOptions {
  /** A label for listings ("ci", "grafana"). */
  name?: string;
  scope?: AdminKeyScope;
  /** The tenant (slug or id) of a `tenant` key. */
  tenant?: string;
  /** Seconds from now; none: the key does not expire. */
  expiresIn?: number;
}

export interface NewAdminToken {
  adminId: string;
  email: string;
  tokenId: string;
  token: string;
  scope: AdminKeyScope;
  tenant: string | null;
  expiresAt: Date | null;
  /** False when the admin already existed and only got a new key. */
  created: boolean;
}

export interface AdminKeyJson {
  id: string;
  name: string;
  scope: AdminKeyScope;
  tenant: string | null;
  /** The start of the key, enough to recognise it (`hj_ro_Xb3k…`); null for keys made before prefixes. */
  hint: string | null;
  admin_email: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

/** Who changes keys, for the audit trail. */
export interface AdminKeyActor {
  via: 'cli' | 'admin_api';
  adminId?: string;
}

/** last_used_at is written at most this often per key, not on every request. */
const TOUCH_EVERY_MS = 60_000;
const NAME_MAX = 100;
/** Ten years: anything longer is a typo or no expiry at all (leave it out). */
const EXPIRES_IN_MAX = 10 * 365 * 24 * 3600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The random part is the last 43 characters; a slug has no underscore, so the prefix parses one way.
const TYPED_KEY = /^hj_(?:admin|ro|t_[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)_[A-Za-z0-9_-]{43}$/;

const PREFIX: Record<AdminKeyScope, (slug: string) => string> = {
  admin: () => 'hj_admin_',
  read_only: () => 'hj_ro_',
  tenant: (slug) => `hj_t_${slug}_`,
};

/** What a key may do with a request, decided from its method and the tenant it addresses. */
export interface AdminRequestTarget {
  /** GET and HEAD read; everything else writes. */
  reads: boolean;
  /** The tenant the request addresses (resolved id), null when the route names none, undefined when it names an unknown one. */
  tenantId: string | null | undefined;
  /** Routes any valid key may call (who am I). */
  open?: boolean;
  /** Routes only a full admin key may call (managing keys). */
  fullAdminOnly?: boolean;
}

/** Why a key may not make this request, or null when it may. */
export function refusal(admin: Admin, target: AdminRequestTarget): string | null {
  if (target.open) return null;
  if (target.fullAdminOnly && admin.scope !== 'admin') return 'Only a full admin key may manage API keys.';
  if (admin.scope === 'read_only' && !target.reads) return 'This API key may only read.';
  if (admin.scope === 'tenant') {
    if (target.tenantId === null) return 'This API key is limited to one tenant.';
    if (target.tenantId !== admin.tenantId) return 'This API key is limited to another tenant.';
  }
  return null;
}

export class AdminTokens {
  constructor(private readonly db: Database) {}

  /** Creates the admin (or reuses the one with this email) and a new key, returned only here. */
  async create(email: string, options: NewAdminKeyOptions = {}): Promise<NewAdminToken> {
    const address = parseEmailAddress(email);
    if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
    return this.db.transaction(async (tx) => {
      const admin = await upsertAdmin(tx, address.normalized);
      return this.insertKey(tx, admin, admin.created, options, { via: 'cli' });
    });
  }

  /** A new key for an existing admin (the one calling the admin API), returned only here. */
  async issue(admin: Admin, options: NewAdminKeyOptions): Promise<NewAdminToken> {
    return this.db.transaction((tx) =>
      this.insertKey(tx, { id: admin.id, email: admin.email }, false, options, {
        via: 'admin_api',
        adminId: admin.id,
      }),
    );
  }

  private async insertKey(
    tx: Queryable,
    admin: { id: string; email: string },
    created: boolean,
    options: NewAdminKeyOptions,
    actor: AdminKeyActor,
  ): Promise<NewAdminToken> {
    const name = (options.name ?? actor.via).normalize('NFC').trim();
    if (name.length < 1 || name.length > NAME_MAX || /[\p{Cc}\p{Cf}]/u.test(name))
      throw new HelloJohnError('invalid_request', `The name must be 1 to ${NAME_MAX} printable characters.`);
    const scope = options.scope ?? 'admin';
    if (!ADMIN_KEY_SCOPES.includes(scope))
      throw new HelloJohnError('invalid_request', `The scope must be one of ${ADMIN_KEY_SCOPES.join(', ')}.`);
    let tenant: { id: string; slug: string } | null = null;
    if (scope === 'tenant') {
      if (!options.tenant) throw new HelloJohnError('invalid_request', 'A tenant key needs its tenant.');
      tenant = await findTenant(tx, options.tenant);
      if (!tenant) throw new HelloJohnError('not_found', 'Unknown tenant.');
    } else if (options.tenant !== undefined) {
      throw new HelloJohnError('invalid_request', 'Only a key of scope "tenant" names a tenant.');
    }
    let expiresAt: Date | null = null;
    if (options.expiresIn !== undefined) {
      const seconds = options.expiresIn;
      if (!Number.isInteger(seconds) || seconds < 60 || seconds > EXPIRES_IN_MAX)
        throw new HelloJohnError(
          'invalid_request',
          'expires_in must be whole seconds, from 60 to ten years.',
        );
      expiresAt = new Date(Date.now() + seconds * 1000);
    }
    const random = newOpaqueToken();
    const prefix = PREFIX[scope](tenant?.slug ?? '');
    const token = prefix + random;
    const { id: tokenId } = await insertAdminToken(tx, {
      adminId: admin.id,
      tokenHash: hashToken(token),
      name,
      scope,
      tenantId: tenant?.id ?? null,
      expiresAt,
      hint: `${prefix}${random.slice(0, 4)}`,
    });
    // Admins belong to the installation; their trail is kept with the default tenant's events.
    await this.audit(tx, created ? auditEvents.adminCreated : auditEvents.adminTokenCreated, {
      admin_id: admin.id,
      email: admin.email,
      token_id: tokenId,
      name,
      scope,
      tenant: tenant?.slug ?? null,
      expires_at: expiresAt?.toISOString() ?? null,
      via: actor.via,
      by_admin_id: actor.adminId ?? null,
    });
    return {
      adminId: admin.id,
      email: admin.email,
      tokenId,
      token,
      scope,
      tenant: tenant?.slug ?? null,
      expiresAt,
      created,
    };
  }

  /** The admin of a live key, or null for anything else (malformed, unknown, revoked, expired). */
  async authenticate(token: unknown): Promise<Admin | null> {
    // Keys made before typed prefixes are the bare 43 characters.
    if (!(looksLikeOpaqueToken(token) || (typeof token === 'string' && TYPED_KEY.test(token)))) return null;
    const digest = hashToken(token);
    const row = await findLiveAdminToken(this.db, digest);
    if (!row) return null;
    const stored = Buffer.from(row.token_hash);
    if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
      await touchAdminToken(this.db, row.token_id);
    }
    return {
      id: row.admin_id,
      email: row.email,
      tokenId: row.token_id,
      via: 'api_key',
      scope: row.scope,
      tenantId: row.tenant_id,
    };
  }

  /**
   * The admin a person signed in another way (the admin console) acts as: their admins row, by email,
   * made (and audited `admin.created`) on their first call. Full `admin` scope; `tokenId` is the session.
   */
  async forSignIn(email: string, via: Exclude<AdminVia, 'api_key'>, sessionId: string): Promise<Admin> {
    const address = parseEmailAddress(email);
    if (!address.ok) throw new HelloJohnError('invalid_token', 'The signed-in account has no usable email.');
    const found = await findAdminByEmail(this.db, address.normalized);
    const admin =
      found ??
      (await this.db.transaction(async (tx) => {
        const row = await upsertAdmin(tx, address.normalized);
        if (row.created)
          await this.audit(tx, auditEvents.adminCreated, { admin_id: row.id, email: row.email, via });
        return row;
      }));
    return { id: admin.id, email: admin.email, tokenId: sessionId, via, scope: 'admin', tenantId: null };
  }

  /** Every key that still works (or would, but for its expiry), newest first; no secrets. */
  async list(): Promise<AdminKeyJson[]> {
    return (await listLiveAdminTokens(this.db)).map(keyJson);
  }

  /** Revokes a key by id; false when there is no such live key. */
  async revoke(tokenId: string, actor: AdminKeyActor = { via: 'cli' }): Promise<boolean> {
    if (!UUID.test(tokenId)) return false;
    return this.db.transaction(async (tx) => {
      const revoked = await revokeAdminToken(tx, tokenId);
      if (revoked) {
        await this.audit(tx, auditEvents.adminTokenRevoked, {
          token_id: tokenId,
          via: actor.via,
          by_admin_id: actor.adminId ?? null,
        });
      }
      return revoked;
    });
  }

  private async audit(
    tx: Queryable,
    type: (typeof auditEvents)[keyof typeof auditEvents],
    data: Record<string, unknown>,
  ): Promise<void> {
    const home = await findTenant(tx, DEFAULT_TENANT);
    if (home) await insertAuditEvent(tx, { tenantId: home.id, type, data });
  }
}

function keyJson(row: AdminTokenListRow): AdminKeyJson {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    tenant: row.tenant_slug,
    hint: row.hint,
    admin_email: row.email,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at?.toISOString() ?? null,
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}
