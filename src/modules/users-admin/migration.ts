import type { Migration } from '../../db/migrations/types.js';

// User administration: the metadata an operator keeps on a user (app_metadata: written by admins only,
// for their applications; user_metadata: the user's own preferences), and the indexes the admin API's
// user list walks: the keyset (created_at, id) per tenant, newest first, and the email-prefix search
// (text_pattern_ops: LIKE 'prefix%' whatever the database collation). Adding a column with a constant
// default does not rewrite the table.
export const migration: Migration = {
  version: 18,
  name: 'users_admin',
  sql: `
ALTER TABLE users ADD COLUMN IF NOT EXISTS app_metadata jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE users ADD COLUMN IF NOT EXISTS user_metadata jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE INDEX IF NOT EXISTS users_by_created ON users (tenant_id, created_at, id);
CREATE INDEX IF NOT EXISTS users_by_email_prefix ON users (tenant_id, email_normalized text_pattern_ops);
`,
};
