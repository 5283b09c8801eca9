// Which backend the suite runs on, and how a test states what it needs.
import type { TestContext } from 'node:test';

export const ADMIN_URL = process.env.TEST_DATABASE_URL;
export const PGBOUNCER_URL = process.env.TEST_PGBOUNCER_URL;
export const REDIS_URL = process.env.TEST_REDIS_URL;
/**
 * TEST_DATABASE_VIA=pgbouncer: the application reaches every test database through PgBouncer
 * (TEST_PGBOUNCER_URL) unless a test asks for a direct connection; creating, dropping and inspecting
 * databases stay on the direct admin URL. Unset or `direct`: straight to TEST_DATABASE_URL.
 */
export const DATABASE_VIA: 'direct' | 'pgbouncer' = viaFromEnv(process.env.TEST_DATABASE_VIA);

function viaFromEnv(value: string | undefined): 'direct' | 'pgbouncer' {
  if (value === undefined || value === '' || value === 'direct') return 'direct';
  if (value !== 'pgbouncer')
    throw new Error(`TEST_DATABASE_VIA must be direct or pgbouncer (got "${value}")`);
  if (!process.env.TEST_DATABASE_URL || !process.env.TEST_PGBOUNCER_URL)
    throw new Error('TEST_DATABASE_VIA=pgbouncer needs TEST_DATABASE_URL and TEST_PGBOUNCER_URL');
  return value;
}
export const backend: 'postgres' | 'pglite' = ADMIN_URL ? 'postgres' : 'pglite';
const requireAll = process.env.TEST_REQUIRE_ALL === '1';

/**
 * The reason a test cannot run here, for node:test's `skip` option, or false when it can.
 * With TEST_REQUIRE_ALL=1 (CI) nothing is skipped: a missing prerequisite fails the test instead.
 */
export function unlessAvailable(needs: {
  postgres?: boolean;
  redis?: boolean;
  pgbouncer?: boolean;
  root?: boolean;
}): string | false {
  const missing: string[] = [];
  if (needs.postgres && !ADMIN_URL) missing.push('TEST_DATABASE_URL (real PostgreSQL)');
  if (needs.pgbouncer && !PGBOUNCER_URL) missing.push('TEST_PGBOUNCER_URL (PgBouncer)');
  if (needs.redis && !REDIS_URL) missing.push('TEST_REDIS_URL (Redis)');
  if (needs.root && process.getuid?.() !== 0)
    missing.push('root (to start a throwaway PostgreSQL as postgres)');
  if (missing.length === 0 || requireAll) return false;
  return `needs ${missing.join(', ')}`;
}

export function note(t: TestContext, message: string) {
  t.diagnostic(message);
}
