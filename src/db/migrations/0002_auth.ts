import type { Migration } from './types.js';

// First-party authentication: sessions (API and browser), rotating refresh tokens, single-use email tokens.
// Every secret is stored as the SHA-256 of a 256-bit random value; lookups go by that hash.
export const migration: Migration = {
  version: 2,
  name: 'auth_sessions_tokens',
  sql: `
CREATE TABLE sessions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('api', 'browser')),
  -- Browser sessions: SHA-256 of the cookie value. API sessions are reached through their refresh tokens.
  cookie_hash      bytea UNIQUE,
  amr              text[] NOT NULL DEFAULT '{}',
  auth_time        timestamptz NOT NULL DEFAULT now(),
  ip               text,
  user_agent       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at     timestamptz NOT NULL DEFAULT now(),
  idle_expires_at  timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  revoke_reason    text,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_active_by_user ON sessions (tenant_id, user_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE refresh_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The session is the token family: reuse of a rotated token revokes the session and all its tokens.
  session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  client_id   text,
  scope       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  rotated_at  timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE email_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL,
  purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  token_hash  bytea NOT NULL UNIQUE,
  -- The address the link was sent to: verifying confirms exactly this address.
  email       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX email_tokens_by_user ON email_tokens (tenant_id, user_id, purpose);
CREATE INDEX email_tokens_by_expiry ON email_tokens (expires_at);

ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
`,
};
