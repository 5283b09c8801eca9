import type { Migration } from './types.js';

// When every session of a user was last ended at once (sign out everywhere, password reset, an admin):
// what a browser remembered on the user's behalf before that instant (a trusted device) is void after it.
export const migration: Migration = {
  version: 9,
  name: 'users_sessions_revoked_at',
  sql: `
ALTER TABLE users ADD COLUMN IF NOT EXISTS sessions_revoked_at timestamptz;
`,
};
