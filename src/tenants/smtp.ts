// A tenant's own SMTP server (`settings.smtp`): the password sealed under the secretbox master key before it
// is stored (bound to the tenant, so a sealed value copied to another tenant does not open), never shown
// (`password_set` instead), kept when a change leaves it out. Read back by the mail outbox's router
// (src/mail/tenant-mailers.ts), which sends the tenant's mail through it.
import { open, seal } from '../crypto/secretbox.js';
import type { SmtpConfig } from '../config/operations.js';

const aad = (tenantId: string) => `tenant-smtp:${tenantId}`;

const objectOr = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

/**
 * What to store for a validated `smtp` member (settings.ts): a given password sealed; none given keeps the
 * stored one while there is still a user to log in as.
 */
export function smtpToStore(
  key: Buffer,
  tenantId: string,
  given: Record<string, unknown>,
  stored: unknown,
): Record<string, unknown> {
  const { password, ...rest } = given;
  if (rest.user === undefined) return rest;
  if (typeof password === 'string')
    return { ...rest, password_sealed: seal(key, Buffer.from(password), aad(tenantId)).toString('base64') };
  const kept = objectOr(stored)?.password_sealed;
  return typeof kept === 'string' ? { ...rest, password_sealed: kept } : rest;
}

/** The member as the admin API shows it: everything but the password, which is only said to be set. */
export function smtpJson(stored: Record<string, unknown>): Record<string, unknown> {
  const { password_sealed: sealed, ...shown } = stored;
  return { ...shown, password_set: typeof sealed === 'string' };
}

/**
 * The tenant's SMTP server, password opened; null without one (or with a stored value of the wrong shape:
 * the installation's server then). Throws when the password does not open (another master key).
 */
export function tenantSmtp(
  tenant: { id: string; settings: Record<string, unknown> },
  key: Buffer,
): SmtpConfig | null {
  const m = objectOr(tenant.settings.smtp);
  if (!m || typeof m.host !== 'string' || typeof m.from !== 'string' || !Number.isSafeInteger(m.port))
    return null;
  const user = typeof m.user === 'string' ? m.user : undefined;
  const sealed = typeof m.password_sealed === 'string' ? m.password_sealed : undefined;
  return {
    host: m.host,
    port: m.port as number,
    secure: m.secure === true,
    user,
    password:
      user !== undefined && sealed !== undefined
        ? open(key, Buffer.from(sealed, 'base64'), aad(tenant.id)).toString()
        : undefined,
    from: m.from,
  };
}
