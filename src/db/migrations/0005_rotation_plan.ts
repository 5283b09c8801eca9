import type { Migration } from './types.js';

// Refresh-token rotation (migration 0004's function) reads every table by a key, whatever the planner
// knows. 0004 joined the token, its session and the user in one UPDATE and left the join order to the
// planner; on tables without statistics (a new database, or right after pg_restore, before autovacuum has
// analyzed them) it could start from sessions and probe the token index once per live session (220 index
// scans per rotation on a 240-session benchmark database: linear in the number of sessions). Here each
// statement reads one table by its unique key. Same signature and results as before; 0004 stays as
// released (migrations are never edited).
//
// Concurrency is as before: the token is spent by one UPDATE that re-checks it is current, so of two
// rotations of the same token one wins; a revocation marks the session's tokens revoked, so a rotation
// that passed the session check before a revocation committed still finds its token revoked, and one that
// committed first leaves a new token on a revoked session, which no check accepts.
export const migration: Migration = {
  version: 5,
  name: 'rotate_refresh_token_by_keys',
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
DECLARE
  v_session sessions%ROWTYPE;
  v_scope text;
  v_client_id text;
BEGIN
  -- The session of the presented token (by the token's unique hash), if it and its user are live.
  SELECT s.* INTO v_session FROM sessions s
   WHERE s.id = (SELECT k.session_id FROM refresh_tokens k
                  WHERE k.token_hash = p_old_hash AND k.tenant_id = p_tenant_id)
     AND s.tenant_id = p_tenant_id
     AND s.revoked_at IS NULL AND s.expires_at > now() AND s.idle_expires_at > now()
     AND EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = s.tenant_id AND u.id = s.user_id AND NOT u.blocked);
  IF NOT FOUND THEN
    RETURN;
  END IF;

  -- Spend the token if it is still current, unexpired and issued to this client.
  UPDATE refresh_tokens t SET rotated_at = now()
   WHERE t.token_hash = p_old_hash AND t.tenant_id = p_tenant_id
     AND t.rotated_at IS NULL AND t.revoked_at IS NULL
     AND t.client_id IS NOT DISTINCT FROM p_client_id AND t.expires_at > now()
  RETURNING t.scope, t.client_id INTO v_scope, v_client_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  -- Activity extends the idle lifetime, written at most once a minute per session.
  UPDATE sessions s SET last_seen_at = now(),
         idle_expires_at = LEAST(s.expires_at, now() + make_interval(secs => p_idle_ttl_ms / 1000))
   WHERE s.id = v_session.id AND s.last_seen_at < now() - interval '1 minute';

  INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
  VALUES (p_tenant_id, v_session.id, p_new_hash, v_client_id, v_scope,
          LEAST(v_session.expires_at, now() + make_interval(secs => p_refresh_ttl_ms / 1000)));

  RETURN QUERY SELECT v_session.id, v_session.tenant_id, v_session.user_id, v_session.amr,
                      v_session.auth_time, v_session.parent_id, v_scope, v_client_id;
END
$fn$;
`,
};
