import type { Migration } from '../../db/migrations/types.js';

// Invitations: an operator invites an address (with roles to give); the emailed link (its token stored
// only as SHA-256) opens a page that creates the account once. `expired` is not stored: a pending row
// past expires_at. At most one pending invitation per address (a new one revokes the old). The user an
// accepted invitation made is kept, and the row goes with that user (or the tenant).
export const migration: Migration = {
  version: 21,
  name: 'invitations',
  sql: `
CREATE TABLE invitations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email             text NOT NULL,
  email_normalized  text NOT NULL,
  name              text,
  roles             text[] NOT NULL DEFAULT '{}',
  token_hash        bytea NOT NULL UNIQUE,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
  expires_at        timestamptz NOT NULL,
  user_id           uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (tenant_id, email_normalized) WHERE status = 'pending';
CREATE INDEX invitations_by_created ON invitations (tenant_id, created_at DESC, id DESC);
CREATE INDEX invitations_by_user ON invitations (tenant_id, user_id) WHERE user_id IS NOT NULL;
`,
};
