import type { Migration } from './types.js';

// The core multi-tenant schema. Every tenant-owned table carries tenant_id and every unique key users see
// is scoped by it.
export const migration: Migration = {
  version: 1,
  name: 'core_schema',
  sql: `
CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO tenants (slug, name) VALUES ('default', 'Default') ON CONFLICT (slug) DO NOTHING;

CREATE TABLE signing_keys (
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kid             text NOT NULL,
  alg             text NOT NULL,
  public_jwk      jsonb NOT NULL,
  -- ChaCha20-Poly1305 under the master key: nonce || ciphertext || tag.
  private_key_enc bytea NOT NULL,
  status          text NOT NULL CHECK (status IN ('active', 'retired')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  retired_at      timestamptz,
  -- After this instant a retired key is no longer published in the JWKS.
  expires_at      timestamptz,
  PRIMARY KEY (tenant_id, kid)
);
CREATE UNIQUE INDEX signing_keys_one_active_per_alg ON signing_keys (tenant_id, alg) WHERE status = 'active';

CREATE TABLE users (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- As typed by the user, for display; email_normalized (trimmed, case-folded) is the unique key.
  email             text NOT NULL,
  email_normalized  text NOT NULL,
  email_verified    boolean NOT NULL DEFAULT false,
  password_hash     text,
  name              text,
  profile           jsonb NOT NULL DEFAULT '{}'::jsonb,
  blocked           boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  last_login_at     timestamptz,
  UNIQUE (tenant_id, email_normalized),
  UNIQUE (tenant_id, id)
);

CREATE TABLE audit_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type        text NOT NULL,
  -- No foreign key: the trail must outlive the user it mentions.
  user_id     uuid,
  ip          text,
  user_agent  text,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_by_tenant_time ON audit_events (tenant_id, created_at DESC);
CREATE INDEX audit_events_by_user ON audit_events (tenant_id, user_id, created_at DESC) WHERE user_id IS NOT NULL;
`,
};
