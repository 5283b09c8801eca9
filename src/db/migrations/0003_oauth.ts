import type { Migration } from './types.js';

// The OAuth 2.0 / OpenID Connect provider: clients, authorization codes, remembered consent, and the admin
// tokens that manage them. Secrets (client secrets, codes, admin tokens) are stored as SHA-256 hashes.
export const migration: Migration = {
  version: 3,
  name: 'oauth_clients_codes_consents',
  sql: `
CREATE TABLE clients (
  id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id                     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- Globally unique, so a client_id alone names its tenant.
  client_id                     text NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9._~-]{1,128}$'),
  name                          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  type                          text NOT NULL CHECK (type IN ('public', 'confidential')),
  secret_hash                   bytea,
  redirect_uris                 text[] NOT NULL DEFAULT '{}',
  post_logout_redirect_uris     text[] NOT NULL DEFAULT '{}',
  grant_types                   text[] NOT NULL,
  response_types                text[] NOT NULL DEFAULT '{code}',
  token_endpoint_auth_method    text NOT NULL
    CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt')),
  -- The scopes this client may ask for.
  scopes                        text[] NOT NULL,
  -- First-party applications skip the consent screen.
  first_party                   boolean NOT NULL DEFAULT false,
  id_token_signed_response_alg  text NOT NULL DEFAULT 'RS256' CHECK (id_token_signed_response_alg IN ('RS256', 'EdDSA', 'ES256')),
  -- Public keys for private_key_jwt client authentication.
  jwks                          jsonb,
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now(),
  CHECK (type = 'public' OR token_endpoint_auth_method <> 'none'),
  CHECK (type = 'confidential' OR token_endpoint_auth_method = 'none')
);
CREATE INDEX clients_by_tenant ON clients (tenant_id, created_at);

-- OAuth sessions (one per code exchange, holding its refresh-token family) hang off the browser session
-- the user signed in with, and end with it.
ALTER TABLE sessions ADD COLUMN parent_id uuid REFERENCES sessions (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN client_id text;
CREATE INDEX sessions_by_parent ON sessions (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE authorization_codes (
  code_hash           bytea PRIMARY KEY,
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  client_id           text NOT NULL,
  user_id             uuid NOT NULL,
  browser_session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  -- The id the OAuth session created by the exchange gets; a replayed code revokes it.
  session_id          uuid NOT NULL,
  redirect_uri        text NOT NULL,
  scope               text NOT NULL,
  nonce               text,
  code_challenge      text,
  auth_time           timestamptz NOT NULL,
  amr                 text[] NOT NULL DEFAULT '{}',
  created_at          timestamptz NOT NULL DEFAULT now(),
  expires_at          timestamptz NOT NULL,
  used_at             timestamptz
);
CREATE INDEX authorization_codes_by_expiry ON authorization_codes (expires_at);

CREATE TABLE consents (
  tenant_id   uuid NOT NULL,
  user_id     uuid NOT NULL,
  client_id   text NOT NULL,
  scopes      text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, client_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- Operators of the whole installation (not of one tenant).
CREATE TABLE admins (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admin_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  admin_id      uuid NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
  token_hash    bytea NOT NULL UNIQUE,
  name          text NOT NULL DEFAULT 'cli',
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
`,
};
