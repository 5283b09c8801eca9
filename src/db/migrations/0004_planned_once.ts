import type { Migration } from './types.js';

// The refresh-token rotation as a PL/pgSQL function. Sent as an ordinary statement, PostgreSQL parses and
// plans the rotation on every call, and the plan cost more than running it (pgbench: 4,650 rotations/s
// planned each time against 11,000/s from the function). PL/pgSQL keeps each connection's plan, and a
// function call works through PgBouncer in transaction mode, where named prepared statements do not.
// The statement is the one src/db/repositories/sessions.ts documents.
export const migration: Migration = {
  version: 4,
  name: 'rotate_refresh_token_function',
  sql: `
CREATE OR REPLACE FUNCTION hellojohn_rotate_refresh_token(
  p_tenant_id uuid,
  p_old_hash bytea,
  p_new_hash bytea,
  p_client_id text,
  p_refresh_ttl_ms double precision,
  p_idle_ttl_ms double precision
) RETURNS TABLE (
  session_id uuid, tenant_id uuid, user_id uuid, amr text[], auth_time timestamptz,
  parent_id uuid, scope text, client_id text
) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH old AS (
    -- The presented token, if it is current, unexpired, issued to this client, and its session and user live.
    UPDATE refresh_tokens t SET rotated_at = now()
      FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
     WHERE t.token_hash = p_old_hash AND t.tenant_id = p_tenant_id
       AND t.rotated_at IS NULL AND t.revoked_at IS NULL
       AND t.client_id IS NOT DISTINCT FROM p_client_id AND t.expires_at > now()
       AND s.id = t.session_id
       AND s.revoked_at IS NULL AND s.expires_at > now() AND s.idle_expires_at > now()
       AND NOT u.blocked
    RETURNING t.session_id, t.tenant_id, s.user_id, s.amr, s.auth_time, s.parent_id, t.scope,
              t.client_id, s.expires_at
  ), touched AS (
    -- Activity extends the idle lifetime, written at most once a minute per session.
    UPDATE sessions s SET last_seen_at = now(),
           idle_expires_at = LEAST(s.expires_at, now() + make_interval(secs => p_idle_ttl_ms / 1000))
     WHERE s.id = (SELECT o.session_id FROM old o) AND s.last_seen_at < now() - interval '1 minute'
  ), fresh AS (
    INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
    SELECT o.tenant_id, o.session_id, p_new_hash, o.client_id, o.scope,
           LEAST(o.expires_at, now() + make_interval(secs => p_refresh_ttl_ms / 1000))
      FROM old o
  )
  SELECT o.session_id, o.tenant_id, o.user_id, o.amr, o.auth_time, o.parent_id, o.scope, o.client_id
    FROM old o;
END
$fn$;
`,
};
