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

// Whether a user has each factor ready (SecondFactor.enrolledSql), as functions: every sign-in asks, in
// the statement that reads the user, and PostgreSQL plans a PL/pgSQL function's statements once per
// connection where the same EXISTS written into that statement is planned at every sign-in (0.4 ms of a
// login's 1.5 ms in PostgreSQL). Email and SMS codes are in their own tables (migration 11): same module.
export const enrolledFunctions: Migration = {
  version: 25,
  name: 'mfa_enrolled_functions',
  sql: `
CREATE OR REPLACE FUNCTION hellojohn_mfa_totp_enrolled(p_tenant uuid, p_user uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN EXISTS (SELECT 1 FROM mfa_totp
                  WHERE tenant_id = p_tenant AND user_id = p_user AND confirmed_at IS NOT NULL);
END
$fn$;

CREATE OR REPLACE FUNCTION hellojohn_mfa_recovery_codes_enrolled(p_tenant uuid, p_user uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN EXISTS (SELECT 1 FROM mfa_recovery_codes
                  WHERE tenant_id = p_tenant AND user_id = p_user AND used_at IS NULL);
END
$fn$;

CREATE OR REPLACE FUNCTION hellojohn_mfa_code_factor_enrolled(p_tenant uuid, p_user uuid, p_channel text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN EXISTS (SELECT 1 FROM mfa_code_factors
                  WHERE tenant_id = p_tenant AND user_id = p_user AND channel = p_channel);
END
$fn$;
`,
};
