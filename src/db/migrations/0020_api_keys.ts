import type { Migration } from './types.js';

// Admin API keys: an admin token gets a scope (the whole admin API, reading only, or one tenant), an
// optional expiry, and the start of the key kept in the clear so a listing can say which key is which.
// Tokens made before keep full access (scope 'admin', no expiry).
export const migration: Migration = {
  version: 20,
  name: 'admin_api_keys',
  sql: `
ALTER TABLE admin_tokens
  ADD COLUMN IF NOT EXISTS scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('admin', 'read_only', 'tenant')),
  ADD COLUMN IF NOT EXISTS tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
  ADD COLUMN IF NOT EXISTS expires_at timestamptz,
  ADD COLUMN IF NOT EXISTS hint text;
ALTER TABLE admin_tokens ADD CONSTRAINT admin_tokens_tenant_iff_scope
  CHECK ((scope = 'tenant') = (tenant_id IS NOT NULL));
CREATE INDEX IF NOT EXISTS admin_tokens_by_admin ON admin_tokens (admin_id, created_at DESC);
`,
};
