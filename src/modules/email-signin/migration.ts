import type { Migration } from '../../db/migrations/types.js';

// Sign-in by email: the one live link and the one live code of each user. Secrets are stored only as
// HMAC-SHA256 under a key derived from the secretbox master key (src/crypto/one-time-codes.ts). A link asked
// for by an app carries the S256 challenge of a verifier the app keeps; opened on a page, it leaves a short
// code (exchange_hash) that only that verifier can exchange for tokens.
export const emailSignInMigration: Migration = {
  version: 13,
  name: 'email_sign_in',
  sql: `
CREATE TABLE email_sign_ins (
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id              uuid NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('link', 'code')),
  -- link: the MAC of its token (looked up by it); code: the MAC of its digits, bound to the user.
  secret_hash          bytea NOT NULL,
  -- The address it was sent to: a sign-in through it proves this address (and only while it is the user's).
  email                text NOT NULL,
  -- A link asked for by an app: BASE64URL(SHA-256(code_verifier)), RFC 7636 S256.
  code_challenge       text,
  -- A link asked for on the hosted pages during an authorization: the id of that interaction.
  interaction_id       text,
  attempts             smallint NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  expires_at           timestamptz NOT NULL,
  consumed_at          timestamptz,
  -- An app's link opened on a page: the MAC of the code shown there, its tries, its lifetime, its use.
  exchange_hash        bytea,
  exchange_attempts    smallint NOT NULL DEFAULT 0,
  exchange_expires_at  timestamptz,
  exchanged_at         timestamptz,
  PRIMARY KEY (tenant_id, user_id, kind),
  CHECK (kind = 'link' OR (code_challenge IS NULL AND interaction_id IS NULL AND exchange_hash IS NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX email_sign_ins_by_link ON email_sign_ins (tenant_id, secret_hash) WHERE kind = 'link';
CREATE INDEX email_sign_ins_by_challenge ON email_sign_ins (tenant_id, code_challenge)
  WHERE code_challenge IS NOT NULL;
CREATE INDEX email_sign_ins_by_expiry ON email_sign_ins (expires_at);
`,
};
