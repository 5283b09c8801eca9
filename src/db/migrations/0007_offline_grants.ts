import type { Migration } from './types.js';

// Offline grants (OpenID Connect Core §11, scope offline_access): the OAuth session of a code exchange made
// with offline_access is detached from the browser session (parent_id NULL, so logout and the sweeper's
// removal of the browser session leave it alone) and marked `offline`, so the account API can list it as
// such. Its lifetime is its own: OFFLINE_SESSION_TTL absolute, and REFRESH_TTL without a refresh (not
// SESSION_IDLE_TTL, which is about browsers). Rotation (migration 0005's function, same signature and
// results) therefore extends an offline session's idle deadline by the refresh-token lifetime.
// ADD COLUMN with a constant default changes only the catalog: no table rewrite, a brief lock.
export const migration: Migration = {
  version: 7,
  name: 'offline_grants',
  sql: `
ALTER TABLE sessions ADD COLUMN offline boolean NOT NULL DEFAULT false;

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

  -- Activity extends the idle lifetime, written at most once a minute per session; an offline grant's
  -- idle lifetime is the refresh-token lifetime.
  UPDATE sessions s SET last_seen_at = now(),
         idle_expires_at = LEAST(s.expires_at, now() + make_interval(secs =>
           CASE WHEN s.offline THEN p_refresh_ttl_ms ELSE p_idle_ttl_ms END / 1000))
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
