// Links sent by email (verify an address, reset a password…): a single-use token stored hashed, the
// message that carries it, and the lookup when the link comes back. Each use names its purpose, lifetime,
// path and template; the mechanics are shared.
import { hashToken, looksLikeOpaqueToken, newOpaqueToken } from '../crypto/tokens.js';
import type { Database, Queryable } from '../db/database.js';
import {
  consumeEmailToken,
  findLiveEmailToken,
  insertEmailToken,
  type EmailTokenPurpose,
} from '../db/repositories/email-tokens.js';
import { findUserById, type UserRow } from '../db/repositories/users.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import type { EmailMessage } from './mailer.js';
import type { MailOutbox } from './outbox.js';

export interface EmailLinkKind {
  purpose: EmailTokenPurpose;
  ttlMs: number;
  /** The page or endpoint the link opens, under the tenant's issuer. */
  path: string;
  render(input: { tenantName: string; link: string; expiresInMinutes: number }): {
    subject: string;
    text: string;
    html: string;
  };
}

export const invalidEmailLink = () =>
  new HelloJohnError('invalid_grant', 'This link is invalid, expired or already used.');

export class EmailLinks {
  constructor(
    private readonly db: Database,
    private readonly outbox: MailOutbox,
  ) {}

  /** Stores a new token and returns the message carrying its link (not sent yet). */
  async message(db: Queryable, tenant: Tenant, user: UserRow, kind: EmailLinkKind): Promise<EmailMessage> {
    const token = newOpaqueToken();
    await insertEmailToken(db, {
      tenantId: tenant.id,
      userId: user.id,
      purpose: kind.purpose,
      tokenHash: hashToken(token),
      email: user.email,
      ttlMs: kind.ttlMs,
    });
    // No user name: mail to an address nobody has proven to own must carry no text the requester chose.
    const rendered = kind.render({
      tenantName: tenant.name,
      link: `${tenant.issuer}${kind.path}?token=${token}`,
      expiresInMinutes: Math.round(kind.ttlMs / 60_000),
    });
    return { to: user.email_normalized, kind: kind.purpose, tenant, ...rendered };
  }

  /** Queues a message built by `message` (after the transaction that stored its token commits). */
  send(message: EmailMessage): void {
    this.outbox.enqueue(message);
  }

  /**
   * Mail whose recipient depends on whether an account exists: `recipient` (the lookup), `before` (the
   * audit event) and the link's token all run after the answer (the outbox prepares them), so none of it
   * shows in the answer's content or timing. A null recipient sends nothing.
   */
  sendAfterAnswer(
    tenant: Tenant,
    kind: EmailLinkKind,
    recipient: () => Promise<UserRow | null>,
    before: (user: UserRow) => Promise<void>,
  ): void {
    this.outbox.enqueueFrom(kind.purpose, async () => {
      const user = await recipient();
      if (!user) return null;
      await before(user);
      return this.message(this.db, tenant, user, kind);
    });
  }

  /** The user a live (unspent, unexpired) link belongs to; invalid_grant otherwise or when blocked. */
  async userOfLiveLink(tenant: Tenant, purpose: EmailTokenPurpose, token: unknown): Promise<UserRow> {
    if (!looksLikeOpaqueToken(token)) throw invalidEmailLink();
    const userId = (await findLiveEmailToken(this.db, tenant.id, purpose, hashToken(token)))?.user_id;
    const user = userId ? await findUserById(this.db, tenant.id, userId) : null;
    if (!user || user.blocked) throw invalidEmailLink();
    return user;
  }

  /** Spends a link inside the caller's transaction; invalid_grant when it is not live. */
  async consume(
    tx: Queryable,
    tenant: Tenant,
    purpose: EmailTokenPurpose,
    token: unknown,
  ): Promise<{ user_id: string; email: string }> {
    if (!looksLikeOpaqueToken(token)) throw invalidEmailLink();
    const consumed = await consumeEmailToken(tx, tenant.id, purpose, hashToken(token));
    if (!consumed) throw invalidEmailLink();
    return consumed;
  }
}
