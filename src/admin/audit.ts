// The audit trail as the operator reads it: a tenant's events filtered by type (exact, or a prefix ending
// in "."/"*"), user and time range, newest first, a page at a time. Pages are keyed on the event id (a
// cursor is the last id of the page before), so events written while someone pages through never shift
// or repeat what they see. The export walks the same query page by page, for NDJSON.
import type { Database } from '../db/database.js';
import { listAuditEvents, type AuditEventRow, type AuditFilter } from '../db/repositories/audit.js';
import { HelloJohnError } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;
const EXPORT_PAGE = 500;

export interface AuditQuery {
  /** `user.login` (exact), or `user.` / `user.*` (every type starting with `user.`). */
  type?: string;
  userId?: string;
  /** ISO 8601 instants: from (inclusive), to (exclusive). */
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export interface AuditEventJson {
  id: string;
  type: string;
  user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

const TYPE = /^[a-z][a-z_]*(?:\.[a-z_]*)*\*?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR = /^[1-9][0-9]{0,18}$/;
const invalid = (description: string) => new HelloJohnError('invalid_request', description);

/** The query's rules (the route's schema only bounds lengths): invalid_request naming the problem. */
export function auditFilter(query: AuditQuery): AuditFilter {
  const filter: AuditFilter = {};
  if (query.type !== undefined) {
    if (!TYPE.test(query.type) || query.type.length > 100)
      throw invalid('type must be an event type (user.login) or a prefix (user. or user.*).');
    const prefix = query.type.endsWith('*') || query.type.endsWith('.');
    filter.type = query.type.replace(/\*$/, '');
    filter.typePrefix = prefix;
  }
  if (query.userId !== undefined) {
    if (!UUID.test(query.userId)) throw invalid('user_id must be a user id (a UUID).');
    filter.userId = query.userId.toLowerCase();
  }
  filter.from = instant('from', query.from);
  filter.to = instant('to', query.to);
  if (filter.from && filter.to && filter.from >= filter.to) throw invalid('from must be before to.');
  if (query.cursor !== undefined) {
    if (!CURSOR.test(query.cursor) || BigInt(query.cursor) > 9223372036854775807n)
      throw invalid('cursor is not one this API gave (use next_cursor as it came).');
    filter.beforeId = query.cursor;
  }
  for (const key of ['from', 'to'] as const) if (filter[key] === undefined) delete filter[key];
  return filter;
}

function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  // RFC 3339 with a time zone; Date alone would take "2026" or local times.
  if (!/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(value))
    throw invalid(`${name} must be an RFC 3339 date or instant (2026-01-31 or 2026-01-31T12:00:00Z).`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(`${name} is not a valid date.`);
  return date;
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  async page(
    tenant: Tenant,
    query: AuditQuery,
  ): Promise<{ events: AuditEventJson[]; next_cursor: string | null }> {
    const filter = auditFilter(query);
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX)
      throw invalid(`limit must be 1 to ${AUDIT_PAGE_MAX}.`);
    // One more than the page: whether there is a next page, without a count.
    const rows = await listAuditEvents(this.db, tenant.id, filter, limit + 1);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? page[page.length - 1]!.id : null;
    return { events: page.map(auditEventJson), next_cursor: next };
  }

  /** Every matching event, newest first, a page at a time (the query is checked before the first). */
  async *export(tenant: Tenant, query: Omit<AuditQuery, 'cursor' | 'limit'>): AsyncGenerator<AuditEventJson> {
    const filter = auditFilter(query);
    for (;;) {
      const rows = await listAuditEvents(this.db, tenant.id, filter, EXPORT_PAGE);
      for (const row of rows) yield auditEventJson(row);
      if (rows.length < EXPORT_PAGE) return;
      filter.beforeId = rows[rows.length - 1]!.id;
    }
  }
}

export function auditEventJson(row: AuditEventRow): AuditEventJson {
  return {
    id: row.id,
    type: row.type,
    user_id: row.user_id,
    ip: row.ip,
    user_agent: row.user_agent,
    data: row.data ?? {},
    created_at: new Date(row.created_at).toISOString(),
  };
}
