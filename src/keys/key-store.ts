// Per-tenant JWT signing keys: an active Ed25519 key (EdDSA, the default), an active RSA-2048 key
// (RS256, which OpenID Connect requires) and a P-256 key (ES256, for clients that ask for it), generated
// on first need. Private keys are stored sealed with
// ChaCha20-Poly1305 under the secretbox master key. Rotation retires the active keys; retired keys stay
// in the JWKS, and keep verifying, until their grace period ends.
//
// Each instance caches a tenant's keys briefly, so a rotation made elsewhere is seen within the TTL; an
// unknown `kid` triggers one early reload. With an invalidation bus, a rotation is announced and every
// instance reloads at once.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Database } from '../db/database.js';
import {
  findAllKeys,
  findPublishedKeys,
  insertActiveKey,
  lockTenantKeys,
  newestActiveKeyAt,
  retireActiveKeys,
  type SigningKeyRow,
} from '../db/repositories/signing-keys.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { open, seal } from '../crypto/secretbox.js';
import type { Invalidation } from '../cache/invalidation.js';

export type SigningAlg = 'EdDSA' | 'RS256' | 'ES256';
export const SIGNING_ALGS: readonly SigningAlg[] = ['EdDSA', 'RS256', 'ES256'];

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  publicKey: KeyObject;
  /** A retired key's end of grace (epoch ms); undefined while active. */
  expiresAt?: number;
}

/** Who rotated a tenant's keys, for the audit trail. */
export interface KeyRotationActor {
  via: 'cli' | 'admin_api' | 'schedule';
  adminId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

export interface KeyInfo {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
  /** When a retired key leaves the JWKS. */
  expiresAt: Date | null;
}

/** An active key as loaded: the private part is unsealed on first use, so publishing the JWKS and
 * verifying tokens never depend on the secretbox master key. */
interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  unseal: () => KeyObject;
  privateKey?: KeyObject;
}

interface TenantKeys {
  loadedAt: number;
  active: Map<SigningAlg, ActiveKey>;
  verification: Map<string, VerificationKey>;
  jwks: { keys: (JWK & { kid: string })[] };
}

// The cache may outlive a retired key's grace period: expiry is checked on every use, not only on load.
const published = (key: VerificationKey | undefined) =>
  key && (key.expiresAt === undefined || key.expiresAt > Date.now()) ? key : undefined;

const CACHE_TTL_MS = 30_000;
const RELOAD_ON_MISS_AFTER_MS = 1_000;

export class KeyStore {
  private readonly cache = new Map<string, Promise<TenantKeys>>();
  /** Key creation in progress per tenant: concurrent first requests wait for one creation, not start their own. */
  private readonly ensuring = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly secretboxKey: Buffer,
    private readonly graceMs: number,
    private readonly invalidation?: Invalidation,
  ) {
    invalidation?.on('keys', (tenantId) => this.invalidate(tenantId));
    // Messages may have been missed: reload everything on next use.
    invalidation?.onReset(() => this.invalidate());
  }

  async signingKey(tenantId: string, alg: SigningAlg = 'EdDSA'): Promise<SigningKey> {
    let keys = await this.load(tenantId);
    if (!keys.active.has(alg)) {
      await this.ensureKeys(tenantId);
      keys = await this.load(tenantId, true);
    }
    const key = keys.active.get(alg);
    if (!key) throw new Error(`no active ${alg} signing key for tenant ${tenantId}`);
    key.privateKey ??= key.unseal();
    return { kid: key.kid, alg: key.alg, privateKey: key.privateKey };
  }

  async verificationKey(tenantId: string, kid: string): Promise<VerificationKey | null> {
    let keys = await this.load(tenantId);
    if (!keys.verification.has(kid) && Date.now() - keys.loadedAt > RELOAD_ON_MISS_AFTER_MS) {
      keys = await this.load(tenantId, true);
    }
    return published(keys.verification.get(kid)) ?? null;
  }

  async jwks(tenantId: string): Promise<{ keys: JWK[] }> {
    let keys = await this.load(tenantId);
    if (keys.active.size < SIGNING_ALGS.length) {
      await this.ensureKeys(tenantId);
      keys = await this.load(tenantId, true);
    }
    return { keys: keys.jwks.keys.filter((jwk) => published(keys.verification.get(jwk.kid))) };
  }

  /** Creates the missing active keys of a tenant. Safe against concurrent callers on other instances. */
  ensureKeys(tenantId: string): Promise<void> {
    let ensuring = this.ensuring.get(tenantId);
    if (!ensuring) {
      ensuring = this.createMissingKeys(tenantId).finally(() => this.ensuring.delete(tenantId));
      this.ensuring.set(tenantId, ensuring);
    }
    return ensuring;
  }

  private async createMissingKeys(tenantId: string): Promise<void> {
    const existing = new Set(
      (await findPublishedKeys(this.db, tenantId)).filter((k) => k.status === 'active').map((k) => k.alg),
    );
    for (const alg of SIGNING_ALGS) {
      if (!existing.has(alg)) await insertActiveKey(this.db, await this.generate(tenantId, alg));
    }
    await this.changed(tenantId);
  }

  /** Retires the active keys (published for the grace period) and activates new ones, audited with who asked. */
  async rotate(tenantId: string, by: KeyRotationActor): Promise<{ retired: string[]; created: string[] }> {
    return (await this.rotateKeys(tenantId, by))!;
  }

  /**
   * The schedule's rotation: only when the newest active key is older than `olderThanMs`, checked under
   * the tenant's lock, so instances that find the same tenant due at once rotate it once. Null when not due.
   */
  rotateIfOlderThan(
    tenantId: string,
    olderThanMs: number,
  ): Promise<{ retired: string[]; created: string[] } | null> {
    return this.rotateKeys(tenantId, { via: 'schedule' }, olderThanMs);
  }

  private async rotateKeys(
    tenantId: string,
    by: KeyRotationActor,
    ifOlderThanMs?: number,
  ): Promise<{ retired: string[]; created: string[] } | null> {
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => this.generate(tenantId, alg)));
    const retired = await this.db.transaction(async (tx) => {
      await lockTenantKeys(tx, tenantId);
      if (ifOlderThanMs !== undefined) {
        const newest = await newestActiveKeyAt(tx, tenantId);
        if (!newest || Date.now() - newest.getTime() < ifOlderThanMs) return null;
      }
      const retiredKids = await retireActiveKeys(tx, tenantId, this.graceMs);
      for (const key of fresh) await insertActiveKey(tx, key);
      await insertAuditEvent(tx, {
        tenantId,
        type: auditEvents.keysRotated,
        ip: by.ip ?? null,
        userAgent: by.userAgent ?? null,
        data: {
          retired: retiredKids,
          created: fresh.map((k) => k.kid),
          via: by.via,
          admin_id: by.adminId ?? null,
        },
      });
      return retiredKids;
    });
    if (!retired) return null;
    await this.changed(tenantId);
    return { retired, created: fresh.map((k) => k.kid) };
  }

  async list(tenantId: string): Promise<KeyInfo[]> {
    return (await findAllKeys(this.db, tenantId)).map((row) => ({
      kid: row.kid,
      alg: row.alg,
      status: row.status,
      createdAt: row.created_at,
      retiredAt: row.retired_at,
      expiresAt: row.expires_at,
    }));
  }

  /**
   * Opens a tenant's active private keys now. Throws SecretboxError when the secretbox master key is not
   * the one they were sealed with, so a wrong key stops startup instead of failing every token later.
   */
  async checkMasterKey(tenantId: string): Promise<void> {
    // Read, not cached: on a fresh database the set is empty, and caching it would make tokens that
    // another instance signs with keys created a moment later unverifiable here for up to a second.
    const keys = await this.read(tenantId);
    for (const key of keys.active.values()) key.privateKey ??= key.unseal();
  }

  /** Forget cached keys (another instance rotated them, or a test changed the clock). */
  invalidate(tenantId?: string): void {
    if (tenantId) this.cache.delete(tenantId);
    else this.cache.clear();
  }

  /** Drops the tenant's keys here and, through the bus, on every other instance. */
  private async changed(tenantId: string): Promise<void> {
    this.cache.delete(tenantId);
    await this.invalidation?.publish('keys', tenantId);
  }

  private load(tenantId: string, force = false): Promise<TenantKeys> {
    const cached = this.cache.get(tenantId);
    if (cached && !force) {
      return cached.then((keys) =>
        Date.now() - keys.loadedAt < CACHE_TTL_MS ? keys : this.load(tenantId, true),
      );
    }
    const loading = this.read(tenantId);
    this.cache.set(tenantId, loading);
    loading.catch(() => this.cache.delete(tenantId));
    return loading;
  }

  private async read(tenantId: string): Promise<TenantKeys> {
    const rows = await findPublishedKeys(this.db, tenantId);
    const active = new Map<SigningAlg, ActiveKey>();
    const verification = new Map<string, VerificationKey>();
    const jwks: (JWK & { kid: string })[] = [];
    for (const row of rows) {
      const alg = row.alg as SigningAlg;
      if (!SIGNING_ALGS.includes(alg)) continue;
      const publicJwk = row.public_jwk as JWK & { kid: string };
      verification.set(row.kid, {
        kid: row.kid,
        alg,
        publicKey: createPublicKey({ key: publicJwk as never, format: 'jwk' }),
        expiresAt: row.status === 'retired' && row.expires_at ? row.expires_at.getTime() : undefined,
      });
      jwks.push(publicJwk);
      if (row.status === 'active')
        active.set(alg, { kid: row.kid, alg, unseal: () => this.unseal(tenantId, row) });
    }
    return { loadedAt: Date.now(), active, verification, jwks: { keys: jwks } };
  }

  private unseal(tenantId: string, row: SigningKeyRow): KeyObject {
    const der = open(this.secretboxKey, Buffer.from(row.private_key_enc), associatedData(tenantId, row.kid));
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }

  private async generate(tenantId: string, alg: SigningAlg) {
    const { publicKey, privateKey } =
      alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : alg === 'ES256'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const publicJwk = { ...jwk, kid, alg, use: 'sig' };
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return {
      tenantId,
      kid,
      alg,
      publicJwk,
      privateKeyEnc: seal(this.secretboxKey, der, associatedData(tenantId, kid)),
    };
  }
}

const associatedData = (tenantId: string, kid: string) => `hellojohn:signing_key:${tenantId}:${kid}`;
