import type { Migration } from './types.js';

// Client-authentication and grant rules of issue #14. Additive: two client attributes with defaults that
// keep today's behaviour for every existing client except where it was a defect, a table, and a new body
// (same signature and results) for 0004's code-redemption function.
//
// - clients.resource_server: the client may introspect every token of its tenant (RFC 7662 §4); any
//   other client only its own tokens.
// - clients.token_endpoint_auth_strict: only the registered token_endpoint_auth_method is accepted. By
//   default a client with a secret may send it by HTTP Basic or in the body.
// - client_assertion_jtis: the jti of every accepted private_key_jwt assertion, kept until the
//   assertion expires, so an assertion is accepted once across all instances (RFC 7523 §3; RFC 9700 §2.4).
// - hellojohn_redeem_authorization_code: a code is spent only by an exchange that passes every check
//   (its own client, its redirect URI, its PKCE verifier, unexpired). Before, any presentation spent it,
//   so another client holding a leaked code could burn it, or (after the real exchange) revoke the grant.
export const migration: Migration = {
  version: 6,
  name: 'client_rules',
  sql: `
ALTER TABLE clients ADD COLUMN IF NOT EXISTS resource_server boolean NOT NULL DEFAULT false;
ALTER TABLE clients ADD COLUMN IF NOT EXISTS token_endpoint_auth_strict boolean NOT NULL DEFAULT false;

CREATE TABLE IF NOT EXISTS client_assertion_jtis (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  client_id   text NOT NULL,
  jti         text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, client_id, jti)
);
CREATE INDEX IF NOT EXISTS client_assertion_jtis_expiry ON client_assertion_jtis (expires_at);

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
  WITH code AS (
    -- Locked, so of two concurrent exchanges the second sees the first one's used_at.
    SELECT c.*, c.used_at IS NOT NULL AS replayed, c.expires_at <= now() AS expired,
      c.client_id = p_client_id AS client_matches, c.redirect_uri = p_redirect_uri AS redirect_matches,
      CASE WHEN c.code_challenge IS NULL THEN p_code_verifier IS NULL
           ELSE p_code_verifier IS NOT NULL AND c.code_challenge =
             translate(rtrim(encode(sha256(convert_to(p_code_verifier, 'UTF8')), 'base64'), '='), '+/', '-_')
      END AS pkce_ok
      FROM authorization_codes c
     WHERE c.code_hash = p_code_hash AND c.tenant_id = p_tenant_id
       FOR UPDATE
  ), spent AS (
    -- Spent only by an exchange that passes every check; a refused one leaves the code as it was.
    UPDATE authorization_codes c SET used_at = now()
      FROM code
     WHERE c.code_hash = code.code_hash AND NOT code.replayed AND NOT code.expired
       AND code.client_matches AND code.redirect_matches AND code.pkce_ok
    RETURNING c.code_hash
  ), s AS (
    -- The OAuth session, only for that exchange, and while the browser session and user are still live.
    INSERT INTO sessions (id, tenant_id, user_id, kind, parent_id, client_id, amr, auth_time, ip, user_agent,
      idle_expires_at, expires_at)
    SELECT code.session_id, p.tenant_id, p.user_id, 'api', p.id, code.client_id, code.amr, code.auth_time,
           p_ip, p_user_agent,
           LEAST(p.expires_at, now() + make_interval(secs => p_idle_ttl_ms / 1000)),
           LEAST(p.expires_at, now() + make_interval(secs => p_session_ttl_ms / 1000))
      FROM code JOIN spent ON spent.code_hash = code.code_hash
      JOIN sessions p ON p.id = code.browser_session_id AND p.tenant_id = code.tenant_id
      JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id
     WHERE p.user_id = code.user_id AND p.revoked_at IS NULL AND p.expires_at > now()
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
