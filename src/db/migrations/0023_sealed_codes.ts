import type { Migration } from './types.js';

// Authorization codes are sealed (src/oauth/authorization-codes.ts): issuing one writes nothing, and the
// exchange starts the OAuth session whose id the code names in one call of this function, planned once per
// connection. The session's primary key is the code's single use: a second exchange of the same code finds
// the session there (ON CONFLICT, which waits for a concurrent first exchange to commit) and reports a
// replay, and the caller revokes what the first one issued.
//
// authorization_codes and hellojohn_redeem_authorization_code are no longer used from this release on
// (deprecated in 23; a contract step drops them once no older instance can still be running).
export const migration: Migration = {
  version: 23,
  name: 'sealed_authorization_codes',
  sql: `
CREATE FUNCTION hellojohn_start_code_grant(
  p_tenant_id uuid,
  p_session_id uuid,
  p_browser_session_id uuid,
  p_user_id uuid,
  p_client_id text,
  p_scope text,
  p_amr text[],
  p_auth_time timestamptz,
  p_ip text,
  p_user_agent text,
  p_session_ttl_ms double precision,
  p_idle_ttl_ms double precision,
  p_refresh_hash bytea,
  p_refresh_ttl_ms double precision,
  p_start boolean
) RETURNS TABLE (started boolean, replayed boolean, user_row jsonb)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
  v_started boolean := false;
BEGIN
  IF p_start THEN
    -- The OAuth session, while the browser session and its user are still live; its refresh token and
    -- the audit event come with it.
    --
    -- The browser session is read by its primary key alone (a materialised CTE is a planning fence): with
    -- the tenant and user in the same WHERE, the planner may pick sessions_active_by_user instead and read
    -- every active session of the user, and each exchange adds one.
    WITH p AS MATERIALIZED (
      SELECT * FROM sessions WHERE id = p_browser_session_id
    ), s AS (
      INSERT INTO sessions (id, tenant_id, user_id, kind, parent_id, client_id, amr, auth_time, ip, user_agent,
        idle_expires_at, expires_at)
      SELECT p_session_id, p.tenant_id, p.user_id, 'api', p.id, p_client_id, p_amr, p_auth_time, p_ip,
             p_user_agent,
             LEAST(p.expires_at, now() + make_interval(secs => p_idle_ttl_ms / 1000)),
             LEAST(p.expires_at, now() + make_interval(secs => p_session_ttl_ms / 1000))
        FROM p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
       WHERE p.tenant_id = p_tenant_id AND p.user_id = p_user_id
         AND p.revoked_at IS NULL AND p.expires_at > now() AND p.idle_expires_at > now() AND NOT u.blocked
      ON CONFLICT (id) DO NOTHING
      RETURNING *
    ), rt AS (
      INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
      SELECT s.tenant_id, s.id, p_refresh_hash, s.client_id, p_scope,
             LEAST(s.expires_at, now() + make_interval(secs => p_refresh_ttl_ms / 1000))
        FROM s WHERE p_refresh_hash IS NOT NULL
    ), a AS (
      INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data)
      SELECT s.tenant_id, 'oauth.code_exchanged', s.user_id, s.ip, s.user_agent,
             jsonb_build_object('client_id', s.client_id, 'session_id', s.id)
        FROM s
    )
    SELECT EXISTS (SELECT 1 FROM s) INTO v_started;
  END IF;
  -- A statement of its own: it sees a session a concurrent exchange of the same code committed meanwhile.
  RETURN QUERY
  SELECT v_started,
         NOT v_started AND EXISTS (SELECT 1 FROM sessions x WHERE x.id = p_session_id AND x.tenant_id = p_tenant_id),
         (SELECT to_jsonb(u) FROM users u WHERE u.tenant_id = p_tenant_id AND u.id = p_user_id);
END
$fn$;
`,
};
