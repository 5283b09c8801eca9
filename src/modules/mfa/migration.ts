import type { Migration } from '../../db/migrations/types.js';

// MFA: TOTP factors (seed sealed with ChaCha20-Poly1305 under the secretbox master key, bound to the
// tenant and user), recovery codes (HMAC-SHA256 under a key derived from that master key, so a database
// dump alone cannot be brute-forced into codes), and each user's MFA settings. Email and SMS codes keep
// their own tables (migration 11).
export const migration: Migration = {
  version: 10,
  name: 'mfa_totp_recovery_codes',
  sql: `
CREATE TABLE mfa_totp (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL,
  secret_sealed  bytea NOT NULL,
  -- As enrolled: a later change of MFA_TOTP_DIGITS / MFA_TOTP_PERIOD does not break the user's app.
  digits         smallint NOT NULL CHECK (digits BETWEEN 6 AND 8),
  period         smallint NOT NULL CHECK (period BETWEEN 15 AND 120),
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- NULL while the enrolment waits for its first code.
  confirmed_at   timestamptz,
  -- The last time step accepted: a code is accepted once, and no older one after it.
  last_step      bigint,
  last_used_at   timestamptz,
  -- One TOTP per user: enrolling again replaces a pending one, never a confirmed one.
  UNIQUE (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE mfa_recovery_codes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL,
  code_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  UNIQUE (tenant_id, user_id, code_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE mfa_user_settings (
  tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id             uuid NOT NULL,
  preferred_factor    text,
  -- Trusted devices remembered before this instant are void (an admin reset the user's MFA).
  devices_revoked_at  timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
`,
};
