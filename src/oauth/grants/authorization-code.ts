// grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6, RFC 9700 §4.5):
// - the code is single use: a second redemption fails and revokes what the first one issued;
// - a refused exchange changes nothing (RFC 6749 §5.2): the code is spent only by one that passes every
//   check below, and a replay revokes only when it passes the binding checks (own client, redirect URI,
//   verifier), so another client, or a leaked code without its verifier, can neither burn nor revoke it;
// - it expires (AUTH_CODE_TTL, 60 s by default);
// - it is bound to the client it was issued to and to the redirect_uri of the request (the same URI:
//   compared as src/oauth/redirect-uris.ts says);
// - PKCE: when the request carried a challenge the verifier must match it (S256); when it did not, a
//   verifier is refused (a downgrade attempt);
// - the browser session it came from must still be live and the user not blocked;
// - with offline_access (OIDC Core §11) the OAuth session becomes an offline grant that outlives it.
import { hashToken, newOpaqueToken } from '../../crypto/tokens.js';
import { auditEvents } from '../../audit/events.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { startCodeGrant } from '../../db/repositories/oauth.js';
import { startOfflineGrant } from '../../db/repositories/sessions.js';
import { pkceMatches } from '../authorization-codes.js';
import { InvalidGrant, InvalidRequest } from '../errors.js';
import { comparableUri } from '../redirect-uris.js';
import { OFFLINE_ACCESS } from '../scope-registry.js';
import { issueAccessToken } from './access-token.js';
import { idTokenFor } from './id-token.js';
import type { Grant } from './grant.js';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const authorizationCodeGrant: Grant = async (ctx) => {
  const { tenant, client, params, db, config } = ctx;
  const lifetimes = ctx.lifetimes.of(tenant);
  const { code, redirect_uri: redirectUri, code_verifier: verifier } = params;
  if (!code) throw new InvalidRequest('The code parameter is missing.');
  if (!redirectUri) throw new InvalidRequest('The redirect_uri parameter is missing.');
  if (verifier !== undefined && !VERIFIER.test(verifier))
    throw new InvalidGrant('The code_verifier is malformed.');
  const opened = ctx.codes.open(tenant.id, code);
  if (!opened) throw invalidCode();
  const { grant, expired } = opened;
  // Only a presentation that proves it is the code's own request (client, redirect URI, verifier) may
  // change anything: another client, or someone with a leaked code but not the verifier, gets a refusal
  // and leaves the code and its grant as they were.
  if (grant.clientRowId !== client.id || grant.redirectUri !== comparableUri(redirectUri))
    throw invalidCode();
  if (!pkceMatches(grant.codeChallenge, verifier))
    throw new InvalidGrant('The code_verifier does not match the code_challenge.');

  const refreshToken = !expired && client.grantTypes.includes('refresh_token') ? newOpaqueToken() : null;
  const row = await startCodeGrant(db, {
    tenantId: tenant.id,
    sessionId: grant.sessionId,
    browserSessionId: grant.browserSessionId,
    userId: grant.userId,
    clientId: client.clientId,
    scope: grant.scope,
    amr: grant.amr,
    authTime: grant.authTime,
    start: !expired,
    session: {
      ip: ctx.meta.ip,
      userAgent: ctx.meta.userAgent?.slice(0, 512) ?? null,
      ttlMs: lifetimes.sessionTtlMs,
      idleTtlMs: lifetimes.sessionIdleTtlMs,
    },
    refresh: refreshToken ? { tokenHash: hashToken(refreshToken), ttlMs: lifetimes.refreshTtlMs } : null,
  });
  if (row.replayed) {
    // Someone else holds a copy of the code and its verifier: what it issued can no longer be trusted.
    const revoked = await ctx.sessionAccess.revokeSessions(
      tenant,
      { sessionId: grant.sessionId },
      'code_replayed',
    );
    await insertAuditEvent(db, {
      tenantId: tenant.id,
      type: auditEvents.oauthCodeReplayed,
      userId: grant.userId,
      ip: ctx.meta.ip,
      userAgent: ctx.meta.userAgent,
      data: { client_id: client.clientId, session_id: grant.sessionId, revoked: revoked.length > 0 },
    });
    ctx.logger.warn({ tenant: tenant.slug, client_id: client.clientId }, 'authorization code replayed');
    throw invalidCode();
  }
  if (expired) throw invalidCode();
  if (!row.started || !row.user) throw sessionEnded();

  const scopes = grant.scope.split(' ').filter((s) => s !== '');
  if (refreshToken && scopes.includes(OFFLINE_ACCESS)) {
    const lifetime = { ttlMs: config.tokens.offlineSessionTtlMs, refreshTtlMs: lifetimes.refreshTtlMs };
    if (!(await startOfflineGrant(db, tenant.id, grant.sessionId, lifetime))) throw sessionEnded();
  }
  const issued = await issueAccessToken(ctx, {
    subject: grant.userId,
    userId: grant.userId,
    sessionId: grant.sessionId,
    scopes,
    amr: grant.amr,
  });
  const accessToken = issued.accessToken;
  const idToken = scopes.includes('openid')
    ? await idTokenFor(ctx, {
        userId: grant.userId,
        browserSessionId: grant.browserSessionId,
        authTime: grant.authTime,
        amr: grant.amr,
        nonce: grant.nonce,
        scopes,
        accessToken,
        user: row.user,
      })
    : undefined;
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope: issued.scope,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(idToken ? { id_token: idToken } : {}),
  };
};

const sessionEnded = () => new InvalidGrant('The sign-in session this code came from has ended.');

// One answer for unknown, expired, used, foreign and mismatched codes.
const invalidCode = () => new InvalidGrant('The authorization code is invalid, expired or already used.');
