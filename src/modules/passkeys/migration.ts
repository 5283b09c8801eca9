import type { Migration } from '../../db/migrations/types.js';

// Passkeys (WebAuthn credentials) and the challenges of their ceremonies. A credential keeps what
// verifying its next assertion needs (public key, signature counter) and what the user and the admin see
// (name, authenticator model, backup state, dates). A challenge is stored as its SHA-256 only, deleted by
// the one request that uses it, and bound to its tenant, its purpose and (registration) its user.
export const migration: Migration = {
  version: 14,
  name: 'passkeys',
  sql: `
CREATE TABLE passkeys (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL,
  -- The credential id as the authenticator made it, base64url (what assertions name).
  credential_id    text NOT NULL,
  -- COSE public key.
  public_key       bytea NOT NULL,
  -- The signature counter last seen: an assertion that does not move it forward is refused (a clone).
  sign_count       bigint NOT NULL DEFAULT 0,
  transports       text[] NOT NULL DEFAULT '{}',
  -- Backup eligible (BE: a synced, multi-device passkey) and backed up (BS), from the authenticator data.
  backup_eligible  boolean NOT NULL,
  backed_up        boolean NOT NULL,
  -- The authenticator model (all zeros when attestation is 'none' and the authenticator hides it).
  aaguid           text NOT NULL,
  name             text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_used_at     timestamptz,
  UNIQUE (tenant_id, credential_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX passkeys_by_user ON passkeys (tenant_id, user_id);

CREATE TABLE passkey_challenges (
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  challenge_hash  bytea NOT NULL,
  purpose         text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
  -- Registration: the user the passkey is for. NULL for sign-in (usernameless).
  user_id         uuid,
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, challenge_hash),
  CHECK ((purpose = 'register') = (user_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX passkey_challenges_by_expiry ON passkey_challenges (expires_at);
`,
};

// Whether a user has a passkey, for the passkey factor's SecondFactor.enrolledSql: a function, planned
// once per connection, because every sign-in asks (see the MFA module's migration 25).
export const hasPasskeyFunction: Migration = {
  version: 26,
  name: 'passkeys_has_passkey_function',
  sql: `
CREATE OR REPLACE FUNCTION hellojohn_passkeys_has_passkey(p_tenant uuid, p_user uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN EXISTS (SELECT 1 FROM passkeys WHERE tenant_id = p_tenant AND user_id = p_user);
END
$fn$;
`,
};
