import type { Migration } from './types.js';

// The two largest hot-path statements as PL/pgSQL functions: refresh-token rotation and authorization-code
// redemption. Sent as ordinary statements, PostgreSQL parses and plans them on every call, and planning
// cost more than running them (pgbench, rotation: 4,650/s planned each time against 11,000/s from the
// function). PL/pgSQL keeps each connection's plans, and a function call works through PgBouncer in
// transaction mode, where named prepared statements do not. The repositories that call them
// (src/db/repositories/sessions.ts, oauth.ts) document what they do. RETURN QUERY needs the declared
// column types to match exactly: a migration that changes one of these columns recreates the function.
export const migration: Migration = {
  version: 4,
  name: 'hot_path_functions',
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

CREATE OR REPLACE FUNCTION hellojohn_redeem_authorization_code(
  p_tenant_id uuid,
  p_code_hash bytea,
  p_client_id text,
  p_redirect_uri text,
  p_code_verifier text,
  p_ip text,
  p_user_agent text,
  p_session_ttl_ms double precision,
  p_idle_ttl_ms double precision,
  p_refresh_hash bytea,
  p_refresh_ttl_ms double precision
) RETURNS TABLE (
  client_id text, user_id uuid, browser_session_id uuid, session_id uuid, scope text, nonce text,
  auth_time timestamptz, amr text[], replayed boolean, expired boolean, client_matches boolean,
  redirect_matches boolean, pkce_ok boolean, started boolean, user_row jsonb
) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH before AS (
    SELECT b.code_hash, b.used_at FROM authorization_codes b
     WHERE b.code_hash = p_code_hash AND b.tenant_id = p_tenant_id FOR UPDATE
  ), code AS (
    -- Used from now on, whatever the checks find: a second exchange is a replay.
    UPDATE authorization_codes c SET used_at = coalesce(c.used_at, now())
      FROM before WHERE c.code_hash = before.code_hash
    RETURNING c.*, before.used_at IS NOT NULL AS replayed, c.expires_at <= now() AS expired,
      c.client_id = p_client_id AS client_matches, c.redirect_uri = p_redirect_uri AS redirect_matches,
      CASE WHEN c.code_challenge IS NULL THEN p_code_verifier IS NULL
           ELSE p_code_verifier IS NOT NULL AND c.code_challenge =
             translate(rtrim(encode(sha256(convert_to(p_code_verifier, 'UTF8')), 'base64'), '='), '+/', '-_')
      END AS pkce_ok
  ), s AS (
    -- The OAuth session, only when every check passed and the browser session and user are still live.
    INSERT INTO sessions (id, tenant_id, user_id, kind, parent_id, client_id, amr, auth_time, ip, user_agent,
      idle_expires_at, expires_at)
    SELECT code.session_id, p.tenant_id, p.user_id, 'api', p.id, code.client_id, code.amr, code.auth_time,
           p_ip, p_user_agent,
           LEAST(p.expires_at, now() + make_interval(secs => p_idle_ttl_ms / 1000)),
           LEAST(p.expires_at, now() + make_interval(secs => p_session_ttl_ms / 1000))
      FROM code JOIN sessions p ON p.id = code.browser_session_id AND p.tenant_id = code.tenant_id
      JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
     WHERE NOT code.replayed AND NOT code.expired AND code.client_matches AND code.redirect_matches
       AND code.pkce_ok AND p.user_id = code.user_id AND p.revoked_at IS NULL AND p.expires_at > now()
       AND p.idle_expires_at > now() AND NOT u.blocked
    RETURNING *
  ), rt AS (
    INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, client_id, scope, expires_at)
    SELECT s.tenant_id, s.id, p_refresh_hash, s.client_id, code.scope,
           LEAST(s.expires_at, now() + make_interval(secs => p_refresh_ttl_ms / 1000))
      FROM s, code WHERE p_refresh_hash IS NOT NULL
  ), a AS (
    INSERT INTO audit_events (tenant_id, type, user_id, ip, user_agent, data)
    SELECT s.tenant_id, 'oauth.code_exchanged', s.user_id, s.ip, s.user_agent,
           jsonb_build_object('client_id', s.client_id, 'session_id', s.id)
      FROM s
  )
  SELECT code.client_id, code.user_id, code.browser_session_id, code.session_id, code.scope, code.nonce,
         code.auth_time, code.amr, code.replayed, code.expired, code.client_matches, code.redirect_matches,
         code.pkce_ok, EXISTS (SELECT 1 FROM s), to_jsonb(u)
    FROM code JOIN users u ON u.tenant_id = code.tenant_id AND u.id = code.user_id;
END
$fn$;
`,
};
