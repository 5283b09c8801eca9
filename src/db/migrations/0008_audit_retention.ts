import type { Migration } from './types.js';

// Audit events get a retention period (AUDIT_RETENTION), swept in small batches across all tenants. The
// existing indexes lead with tenant_id, so "the oldest events of any tenant" and "is anything old enough
// to delete" would each read the whole table; this index answers both with a probe.
export const migration: Migration = {
  version: 8,
  name: 'audit_events_by_time',
  sql: `
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events (created_at);
`,
};
