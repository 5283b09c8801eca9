import type { Migration } from './types.js';

// A sign-in writes three rows (the session, its first refresh token, the audit event), no longer a fourth
// (users.last_login_at), and is one call of a function planned once per connection, like rotation (0004).
//
// The last sign-in is now read, not stamped: hellojohn_last_login_at, the newest sign-in session of the
// user (client_id IS NULL: a code exchange's OAuth session is not a sign-in, as before) or
// users.last_login_at, which keeps the newest sign-in of the sessions that no longer exist. The trigger
// below folds each deleted sign-in session into it, whatever deletes the row (the sweeper, a cascade), so
// the answer never goes back in time. sessions_sign_ins_by_user answers it by key (an index entry per
// sign-in session instead of a users row version), and PL/pgSQL keeps its plan.
// RETURN QUERY needs the declared column types to match exactly: a migration that changes one of these
// sessions columns recreates the function.
export const migration: Migration = {
  version: 24,
  name: 'login_writes',
  sql: `
CREATE INDEX IF NOT EXISTS sessions_sign_ins_by_user ON sessions (tenant_id, user_id, created_at)
  WHERE client_id IS NULL;

CREATE OR REPLACE FUNCTION hellojohn_last_login_at(p_tenant_id uuid, p_user_id uuid, p_folded timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN GREATEST(p_folded, (SELECT max(s.created_at) FROM sessions s
                              WHERE s.tenant_id = p_tenant_id AND s.user_id = p_user_id AND s.client_id IS NULL));
END
$fn$;

CREATE OR REPLACE FUNCTION hellojohn_keep_last_login() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE users u SET last_login_at = g.last_login
    FROM (SELECT d.tenant_id, d.user_id, max(d.created_at) AS last_login FROM deleted_sessions d
           WHERE d.client_id IS NULL GROUP BY d.tenant_id, d.user_id) g
   WHERE u.tenant_id = g.tenant_id AND u.id = g.user_id
     AND (u.last_login_at IS NULL OR u.last_login_at < g.last_login);
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS sessions_keep_last_login ON sessions;
CREATE TRIGGER sessions_keep_last_login AFTER DELETE ON sessions
  REFERENCING OLD TABLE AS deleted_sessions
  FOR EACH STATEMENT EXECUTE FUNCTION hellojohn_keep_last_login();

CREATE OR REPLACE FUNCTION hellojohn_start_session(
  p_tenant_id uuid,
  p_user_id uuid,
  p_kind text,
  p_cookie_hash bytea,
  p_amr text[],
  p_ip text,
  p_user_agent text,
  p_idle_ttl_ms double precision,
  p_ttl_ms double precision,
  p_refresh_hash bytea,
  p_refresh_client_id text,
  p_refresh_scope text,
  p_refresh_ttl_ms double precision,
  p_audit_type text,
  p_audit_data jsonb
) RETURNS TABLE (
  id uuid, tenant_id uuid, user_id uuid, kind text, amr text[], auth_time timestamptz, ip text,
  user_agent text, created_at timestamptz, last_seen_at timestamptz, idle_expires_at timestamptz,
  expires_at timestamptz
) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH s AS (
    INSERT INTO sessions (tenant_id, user_id, kind, cookie_hash, amr, ip, user_agent, idle_expires_at, expires_at)
    VALUES (p_tenant_id, p_user_id, p_kind, p_cookie_hash, p_amr, p_ip, p_user_agent,
            now() + make_interval(secs => p_idle_ttl_ms / 1000), now() + make_interval(secs => p_ttl_ms / 1000))
    RETURNING *
  ), rt AS (
    INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
    SELECT s.tenant_id, s.id, p_refresh_hash, p_refresh_client_id, p_refresh_scope,
           LEAST(s.expires_at, now() + make_interval(secs => p_refresh_ttl_ms / 1000))
      FROM s WHERE p_refresh_hash IS NOT NULL
  ), a AS (
    INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data)
    SELECT s.tenant_id, p_audit_type, s.user_id, s.ip, s.user_agent,
           p_audit_data || jsonb_build_object('session_id', s.id)
      FROM s
  )
  SELECT s.id, s.tenant_id, s.user_id, s.kind, s.amr, s.auth_time, s.ip, s.user_agent, s.created_at,
         s.last_seen_at, s.idle_expires_at, s.expires_at
    FROM s;
END
$fn$;
`,
};
