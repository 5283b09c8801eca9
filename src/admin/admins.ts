// Operators of the whole installation and their API tokens. A token is 256 random bits shown once; the
// database keeps its SHA-256, looked up by hash and compared again in constant time.
import { timingSafeEqual } from 'node:crypto';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database } from '../db/database.js';
import {
  findLiveAdminToken,
  insertAdminToken,
  revokeAdminToken,
  touchAdminToken,
  upsertAdmin,
} from '../db/repositories/admins.js';
import { auditEvents } from '../audit/events.js';
import { insertAuditEvent } from '../db/repositories/audit.js';
import { findTenant } from '../db/repositories/tenants.js';
import { parseEmailAddress } from '../auth/email-address.js';
import { HelloJohnError } from '../errors.js';
import { DEFAULT_TENANT } from '../tenants/tenants.js';

export interface Admin {
  id: string;
  email: string;
  /** The token this request authenticated with. */
  tokenId: string;
}

export interface NewAdminToken {
  adminId: string;
  email: string;
  tokenId: string;
  token: string;
  /** False when the admin already existed and only got a new token. */
  created: boolean;
}

/** last_used_at is written at most this often per token, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export class AdminTokens {
  constructor(private readonly db: Database) {}

  /** Creates the admin (or reuses the one with this email) and a new token, returned only here. */
  async create(email: string, name = 'cli'): Promise<NewAdminToken> {
    const address = parseEmailAddress(email);
    if (!address.ok) throw new HelloJohnError('invalid_request', address.reason);
    const token = newOpaqueToken();
    return this.db.transaction(async (tx) => {
      const admin = await upsertAdmin(tx, address.normalized);
      const { id: tokenId } = await insertAdminToken(tx, admin.id, hashToken(token), name);
      // Admins belong to the installation; their trail is kept with the default tenant's events.
      const home = await findTenant(tx, DEFAULT_TENANT);
      if (home) {
        await insertAuditEvent(tx, {
          tenantId: home.id,
          type: admin.created ? auditEvents.adminCreated : auditEvents.adminTokenCreated,
          data: { admin_id: admin.id, email: admin.email, token_id: tokenId, name },
        });
      }
      return { adminId: admin.id, email: admin.email, tokenId, token, created: admin.created };
    });
  }

  /** The admin of a live token, or null for anything else (malformed, unknown, revoked). */
  async authenticate(token: unknown): Promise<Admin | null> {
    if (!looksLikeOpaqueToken(token)) return null;
    const digest = hashToken(token);
    const row = await findLiveAdminToken(this.db, digest);
    if (!row) return null;
    const stored = Buffer.from(row.token_hash);
    if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_EVERY_MS) {
      await touchAdminToken(this.db, row.token_id);
    }
    return { id: row.admin_id, email: row.email, tokenId: row.token_id };
  }

  /** Revokes a token by id; false when there is no such live token. */
  async revoke(tokenId: string): Promise<boolean> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tokenId)) return false;
    return revokeAdminToken(this.db, tokenId);
  }
}
