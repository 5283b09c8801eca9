// Invitations: an operator invites an address, with roles to give; the emailed link (single use, expiring,
// revocable; its token stored only as SHA-256) opens a page where the person creates their account, the
// address verified by the link. A new invitation to the same address replaces the pending one.
import { accountKeys, parseEmailAddress } from '../../auth/email-address.js';
import { auditMeta, operatorAudit, type OperatorActor, type RequestMeta } from '../../auth/public.js';
import { cleanName } from '../../auth/registration.js';
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../../crypto/tokens.js';
import type { Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { findUserByEmail, type UserRow } from '../../db/repositories/users.js';
import { decodeListCursor, encodeListCursor } from '../../admin/list-cursor.js';
import { HelloJohnError } from '../../errors.js';
import type { CoreServices } from '../../kernel/module.js';
import { linkEmail, oneLine } from '../../mail/templates.js';
import type { Tenant } from '../../tenants/tenants.js';
import { invitationEvents } from './events.js';
import {
  findInvitation,
  findLiveByToken,
  insertInvitation,
  listInvitations,
  markAccepted,
  renewToken,
  revokeInvitation,
  revokePendingFor,
  type InvitationRow,
  type InvitationStatus,
} from './repository.js';

export type Actor = OperatorActor;

export interface NewInvitation {
  email: string;
  roles?: readonly string[];
  name?: string | null;
  /** Seconds; default DEFAULT_TTL_SECONDS, at most MAX_TTL_SECONDS. */
  expiresIn?: number;
  /** Default true; false: the operator hands the link over themselves. */
  sendEmail?: boolean;
}

export const DEFAULT_TTL_SECONDS = 7 * 86_400;
export const MAX_TTL_SECONDS = 30 * 86_400;
export const MIN_TTL_SECONDS = 300;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
/** The page the link opens, under the tenant's pages. */
export const INVITE_PATH = '/invite';
/** The method `user.registered` names for an account made through an invitation. */
export const INVITATION_METHOD = 'invitation';

export type InvitationsDeps = Pick<CoreServices, 'db' | 'outbox' | 'registration' | 'userRoles'>;

export class Invitations {
  constructor(private readonly deps: InvitationsDeps) {}

  /** The invitation and its link (the only time the link is told). */
  async create(
    tenant: Tenant,
    input: NewInvitation,
    actor: Actor,
  ): Promise<{ invitation: InvitationRow; url: string }> {
    const address = parseEmailAddress(input.email);
    if (!address.ok) throw new HelloJohnError('invalid_request', `email: ${address.reason}`);
    const name = cleanName(input.name);
    const roles = await this.checkRoles(tenant, input.roles ?? []);
    const ttl = ttlOf(input.expiresIn);
    const token = newOpaqueToken();
    const invitation = await this.deps.db.transaction(async (tx) => {
      // The operator's API may say so: an invitation cannot make an account that exists.
      if (await findUserByEmail(tx, tenant.id, accountKeys(input.email)))
        throw new HelloJohnError('email_taken', 'An account with this email address already exists.');
      const replaced = await revokePendingFor(tx, tenant.id, address.normalized);
      if (replaced)
        await this.audit(tx, tenant, actor, invitationEvents.revoked, replaced, { reason: 'replaced' });
      const row = await insertInvitation(tx, {
        tenantId: tenant.id,
        email: address.display,
        emailNormalized: address.normalized,
        name,
        roles,
        tokenHash: hashToken(token),
        ttlSeconds: ttl,
      });
      // Another invitation to the address committed in between (two requests at once): one wins.
      if (!row) throw new HelloJohnError('conflict', 'Another invitation to this address was just made.');
      await this.audit(tx, tenant, actor, invitationEvents.created, row, { roles, expires_in: ttl });
      return row;
    });
    const url = linkOf(tenant, token);
    if (input.sendEmail !== false) this.mail(tenant, invitation, url, ttl);
    return { invitation, url };
  }

  async list(
    tenant: Tenant,
    query: { status?: InvitationStatus; cursor?: string; limit?: number },
  ): Promise<{ invitations: InvitationRow[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      throw new HelloJohnError('invalid_request', `limit must be between 1 and ${MAX_LIMIT}.`);
    const after = query.cursor === undefined ? null : decodeListCursor(query.cursor);
    const rows = await listInvitations(this.deps.db, tenant.id, query.status, after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { invitations: page, nextCursor: rows.length > limit && last ? encodeListCursor(last) : null };
  }

  async get(tenant: Tenant, id: string): Promise<InvitationRow> {
    return (await findInvitation(this.deps.db, tenant.id, id)) ?? notFound();
  }

  /** Ends a pending invitation: its link stops working. 409 when it is not pending. */
  async revoke(tenant: Tenant, id: string, actor: Actor): Promise<InvitationRow> {
    return this.deps.db.transaction(async (tx) => {
      const row = await revokeInvitation(tx, tenant.id, id);
      if (!row) throw notPending((await findInvitation(tx, tenant.id, id)) ?? notFound());
      await this.audit(tx, tenant, actor, invitationEvents.revoked, row, {});
      return row;
    });
  }

  /**
   * A new link for a pending invitation (expired ones too), with a fresh lifetime: the old link stops
   * working. Mailed again unless `sendEmail` is false. Audited as `invitation.created` (`resent: true`).
   */
  async resend(
    tenant: Tenant,
    id: string,
    options: { expiresIn?: number; sendEmail?: boolean },
    actor: Actor,
  ): Promise<{ invitation: InvitationRow; url: string }> {
    const ttl = ttlOf(options.expiresIn);
    const token = newOpaqueToken();
    const invitation = await this.deps.db.transaction(async (tx) => {
      const row = await renewToken(tx, tenant.id, id, hashToken(token), ttl);
      if (!row) throw notPending((await findInvitation(tx, tenant.id, id)) ?? notFound());
      await this.audit(tx, tenant, actor, invitationEvents.created, row, {
        roles: row.roles,
        expires_in: ttl,
        resent: true,
      });
      return row;
    });
    const url = linkOf(tenant, token);
    if (options.sendEmail !== false) this.mail(tenant, invitation, url, ttl);
    return { invitation, url };
  }

  /** The live invitation a link's token opens, or null (unknown, expired, revoked, used: all alike). */
  async live(tenant: Tenant, token: unknown): Promise<InvitationRow | null> {
    if (!looksLikeOpaqueToken(token)) return null;
    return findLiveByToken(this.deps.db, tenant.id, hashToken(token));
  }

  /**
   * Creates the invited person's account (password: theirs, or null where the tenant does not use
   * passwords), gives it the invitation's roles and spends the invitation, in one transaction: of two
   * submissions at once, one account. invalid_grant when the link is not live (any reason); the
   * registration's errors (weak_password, email_taken, invalid_request) otherwise.
   */
  async accept(
    tenant: Tenant,
    token: unknown,
    input: { password: string | null; name?: string | null },
    meta: RequestMeta,
  ): Promise<UserRow> {
    const invitation = await this.live(tenant, token);
    if (!invitation || typeof token !== 'string') throw deadLink();
    const tokenHash = hashToken(token);
    return this.deps.registration.registerVouchedByOperator(
      tenant,
      { email: invitation.email, password: input.password, name: input.name ?? invitation.name },
      INVITATION_METHOD,
      meta,
      async (tx, user) => {
        const spent = await markAccepted(tx, tenant.id, invitation.id, tokenHash, user.id);
        if (!spent) throw deadLink();
        if (spent.roles.length > 0) await this.deps.userRoles?.assign(tx, tenant.id, user.id, spent.roles);
        await insertAuditEvent(tx, {
          tenantId: tenant.id,
          type: invitationEvents.accepted,
          userId: user.id,
          ...auditMeta(meta),
          data: { invitation_id: spent.id, email: spent.email, roles: spent.roles },
        });
      },
    );
  }

  private async checkRoles(tenant: Tenant, names: readonly string[]): Promise<string[]> {
    const roles = [...new Set(names)];
    if (roles.length === 0) return roles;
    // Read now: the roles provider is known once every module is set up.
    const provider = this.deps.userRoles;
    if (!provider)
      throw new HelloJohnError(
        'invalid_request',
        'roles: this server has no roles (no module provides them).',
      );
    const unknown = await provider.unknown(this.deps.db, tenant.id, roles);
    if (unknown.length > 0)
      throw new HelloJohnError(
        'invalid_request',
        `roles: no such role in this tenant: ${unknown.join(', ')}.`,
      );
    return roles;
  }

  private mail(tenant: Tenant, invitation: InvitationRow, url: string, ttlSeconds: number): void {
    this.deps.outbox.enqueue({
      to: invitation.email,
      kind: 'invitation',
      tenant,
      ...invitationEmail({
        tenantName: tenant.name,
        link: url,
        expiresInMinutes: Math.round(ttlSeconds / 60),
      }),
    });
  }

  private async audit(
    tx: Queryable,
    tenant: Tenant,
    actor: Actor,
    type: (typeof invitationEvents)[keyof typeof invitationEvents],
    row: InvitationRow,
    data: Record<string, unknown>,
  ): Promise<void> {
    const { meta, data: by } = operatorAudit(actor);
    await insertAuditEvent(tx, {
      tenantId: tenant.id,
      type,
      ...meta,
      data: { invitation_id: row.id, email: row.email, ...data, ...by },
    });
  }
}

/** The mail: no text the operator typed (the name) beyond the tenant's own name, like every link mail. */
export function invitationEmail(input: { tenantName: string; link: string; expiresInMinutes: number }) {
  const tenant = oneLine(input.tenantName);
  return linkEmail(input, {
    subject: `You are invited to ${tenant}`,
    intro: `You have been invited to create your ${tenant} account.`,
    action: 'Accept the invitation',
    ignore:
      'If you did not expect this invitation, you can ignore this email: no account is made without you.',
  });
}

function linkOf(tenant: Tenant, token: string): string {
  return `${tenant.issuer}${INVITE_PATH}?token=${token}`;
}

function ttlOf(expiresIn: number | undefined): number {
  const ttl = expiresIn ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < MIN_TTL_SECONDS || ttl > MAX_TTL_SECONDS)
    throw new HelloJohnError(
      'invalid_request',
      `expires_in: between ${MIN_TTL_SECONDS} and ${MAX_TTL_SECONDS} seconds (30 days).`,
    );
  return ttl;
}

const notFound = (): never => {
  throw new HelloJohnError('not_found', 'No such invitation in this tenant.');
};
const notPending = (row: InvitationRow) =>
  new HelloJohnError('conflict', `The invitation is ${row.status}, not pending.`);
/** The same words for every dead link: unknown, expired, revoked or used. */
export const deadLink = () =>
  new HelloJohnError('invalid_grant', 'This invitation link is invalid, expired or already used.');

/** The API's view of an invitation (never a token). */
export function invitationJson(row: InvitationRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    status: row.status,
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    user_id: row.user_id,
  };
}
