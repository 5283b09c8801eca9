// The audit events of the email and SMS factors, written the same way: the channel and the outcome,
// never the code; a phone number only masked.
import { auditMeta, type RequestMeta } from '../../../auth/public.js';
import type { AuditEventType } from '../../../audit/events.js';
import type { Database, Queryable } from '../../../db/database.js';
import { insertAuditEvent } from '../../../db/repositories/audit.js';
import type { UserRow } from '../../../db/repositories/users.js';
import { HelloJohnError } from '../../../errors.js';
import type { Tenant } from '../../../tenants/tenants.js';
import { codeEvents } from './events.js';
import type { CodeChannel } from './repository.js';

export class CodeAudit {
  constructor(private readonly db: Database) {}

  async write(
    db: Queryable,
    tenant: Tenant,
    user: UserRow,
    type: AuditEventType,
    meta: RequestMeta,
    data: Record<string, unknown>,
  ): Promise<void> {
    await insertAuditEvent(db, { tenantId: tenant.id, type, userId: user.id, ...auditMeta(meta), data });
  }

  /** A code that could not be sent: the error code only (rate_limited, service_unavailable…). */
  async sendFailed(
    tenant: Tenant,
    user: UserRow,
    channel: CodeChannel,
    meta: RequestMeta,
    error: unknown,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const reason = error instanceof HelloJohnError ? error.code : 'server_error';
    await this.write(this.db, tenant, user, codeEvents.codeSendFailed, meta, { channel, reason, ...extra });
  }

  async attemptsExhausted(
    tenant: Tenant,
    user: UserRow,
    channel: CodeChannel,
    meta: RequestMeta,
  ): Promise<void> {
    await this.write(this.db, tenant, user, codeEvents.codeAttemptsExhausted, meta, { channel });
  }
}
