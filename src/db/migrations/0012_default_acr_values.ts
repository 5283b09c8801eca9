import type { Migration } from './types.js';

// OIDC client metadata default_acr_values (OpenID Connect Dynamic Client Registration §2): the acr values
// an authorization request of the client asks for when it sends no acr_values (src/oauth/acr.ts).
// Additive: an empty list keeps every existing client as it was.
export const migration: Migration = {
  version: 12,
  name: 'client_default_acr_values',
  sql: `
ALTER TABLE clients ADD COLUMN IF NOT EXISTS default_acr_values text[] NOT NULL DEFAULT '{}';
`,
};
