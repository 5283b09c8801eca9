import type { Migration } from '../../db/migrations/types.js';

// Social sign-in: each tenant's providers (the client secret sealed with ChaCha20-Poly1305 under the
// secretbox master key, bound to the tenant and provider), the social accounts linked to users, and the
// one-time codes an application exchanges after a social sign-in (SHA-256 of the code only).
export const migration: Migration = {
  version: 15,
  name: 'social_login',
  sql: `
CREATE TABLE social_providers (
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- In the routes (/v2/auth/social/{id}/…): the kind for the built-in ones, the admin's choice for OIDC.
  id                    text NOT NULL CHECK (id ~ '^[a-z][a-z0-9-]{1,31}$'),
  kind                  text NOT NULL,
  label                 text,
  client_id             text NOT NULL,
  client_secret_sealed  bytea,
  scopes                text[] NOT NULL,
  -- The issuer (generic OpenID Connect, a self-hosted GitLab); NULL: the configured or public one.
  issuer                text,
  -- Provider extras: Microsoft's tenant, Apple's team and key ids.
  options               jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Sign a user in to the existing account with the same address when the provider verified it.
  auto_link             boolean NOT NULL DEFAULT false,
  enabled               boolean NOT NULL DEFAULT true,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE social_identities (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL,
  provider      text NOT NULL,
  -- The provider's stable id of the user.
  subject       text NOT NULL,
  -- As the provider last said, for display.
  email         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  UNIQUE (tenant_id, provider, subject),
  -- One account of each provider per user.
  UNIQUE (tenant_id, user_id, provider),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE social_exchange_codes (
  code_hash       bytea PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL,
  provider        text NOT NULL,
  client_id       text NOT NULL,
  redirect_uri    text NOT NULL,
  -- PKCE S256 of the application's verifier.
  code_challenge  text NOT NULL,
  expires_at      timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX social_exchange_codes_expiry ON social_exchange_codes (expires_at);
`,
};
