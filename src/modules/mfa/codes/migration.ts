import type { Migration } from '../../../db/migrations/types.js';

// MFA by a code sent to the user (email, SMS). A factor row exists only once it is confirmed: enrolment
// keeps what it waits for (the phone number being proven) on the code row, so a send that fails or a code
// never typed leaves no factor behind. Codes are stored as HMAC-SHA256 under a key derived from the
// secretbox master key (HKDF): six digits are too few for a plain hash to hide them from whoever reads a dump.
export const codesMigration: Migration = {
  version: 11,
  name: 'mfa_email_sms_codes',
  sql: `
CREATE TABLE mfa_code_factors (
  -- Names the factor in the account API (DELETE /v2/auth/mfa/factors/{id}).
  id            uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- SMS: the number in E.164, proven by a code texted to it. Email: NULL (codes go to the account's address).
  phone_number  text,
  confirmed_at  timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  PRIMARY KEY (tenant_id, user_id, channel),
  CHECK ((channel = 'sms') = (phone_number IS NOT NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- One code per user and channel: sending a new one replaces the last.
CREATE TABLE mfa_one_time_codes (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL,
  channel       text NOT NULL CHECK (channel IN ('email', 'sms')),
  -- sign_in: proves an enrolled factor; enroll: confirms the factor (and, for SMS, phone_number).
  purpose       text NOT NULL CHECK (purpose IN ('sign_in', 'enroll')),
  code_hash     bytea NOT NULL,
  -- Where an SMS code went: the factor's number, or the number being enrolled.
  phone_number  text,
  attempts      smallint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  consumed_at   timestamptz,
  PRIMARY KEY (tenant_id, user_id, channel),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mfa_one_time_codes_by_expiry ON mfa_one_time_codes (expires_at);
`,
};
