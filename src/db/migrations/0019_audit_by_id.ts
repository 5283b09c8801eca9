import type { Migration } from './types.js';

// The admin API's audit log pages through a tenant's events newest first by id (keyset on id, stable
// while events are inserted); this index answers each page, filtered by type or not, with a range scan.
export const migration: Migration = {
  version: 19,
  name: 'audit_events_by_tenant_id',
  sql: `
CREATE INDEX IF NOT EXISTS audit_events_by_tenant_id ON audit_events (tenant_id, id DESC);
`,
};
