// Each tenant's mail through its own SMTP server (settings.smtp, src/tenants/smtp.ts) when it has one, the
// installation's mailer otherwise. The outbox sends through this router, so every message a tenant causes
// (verification, reset, magic links, MFA codes…) follows the tenant's setting.
// One transport per tenant, kept while the tenant's stored setting is the same: the message carries the
// tenant as it was read (the tenants cache, renewed when a change is announced on the invalidation bus),
// so a changed setting builds a new transport on its next message; an announced change also drops every
// transport here, so a deleted tenant's does not linger.
import type { Invalidation } from '../cache/invalidation.js';
import { tenantSmtp } from '../tenants/smtp.js';
import { SmtpMailer, type EmailMessage, type Mailer } from './mailer.js';

export class TenantMailers implements Mailer {
  readonly #fallback: Mailer;
  readonly #key: Buffer;
  readonly #byTenant = new Map<string, { stored: string; mailer: SmtpMailer }>();

  constructor(fallback: Mailer, secretboxMasterKey: Buffer, invalidation?: Invalidation) {
    this.#fallback = fallback;
    this.#key = secretboxMasterKey;
    invalidation?.on('tenant', () => this.clear());
    invalidation?.onReset(() => this.clear());
  }

  async send(message: EmailMessage): Promise<void> {
    await this.mailerFor(message.tenant).send(message);
  }

  /** The mailer of a tenant: its own server's, or the installation's. */
  mailerFor(tenant: EmailMessage['tenant']): Mailer {
    const stored = tenant?.settings.smtp;
    if (!tenant || typeof stored !== 'object' || stored === null) return this.#fallback;
    const fingerprint = JSON.stringify(stored);
    const known = this.#byTenant.get(tenant.id);
    if (known?.stored === fingerprint) return known.mailer;
    known?.mailer.close();
    this.#byTenant.delete(tenant.id);
    const smtp = tenantSmtp(tenant, this.#key);
    if (!smtp) return this.#fallback;
    const mailer = new SmtpMailer(smtp);
    this.#byTenant.set(tenant.id, { stored: fingerprint, mailer });
    return mailer;
  }

  /** Transports held right now (tests, metrics). */
  get size(): number {
    return this.#byTenant.size;
  }

  clear(): void {
    for (const { mailer } of this.#byTenant.values()) mailer.close();
    this.#byTenant.clear();
  }
}
