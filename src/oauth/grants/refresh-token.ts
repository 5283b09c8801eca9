// grant_type=refresh_token (RFC 6749 §6, RFC 9700 §4.14):
// - the token must be live and issued to this client;
// - every use rotates it; a rotated token presented again revokes the whole family (the OAuth session);
// - `scope` may narrow the access token's scope, never widen it; the refresh token keeps the original.
// - an error changes nothing: too wide a scope is refused before the token is spent, and a token of
//   another client is refused without counting as reuse (the reuse check is its own client's).
// - `resource` (RFC 8707 §2.2) may name the resource of the grant again, nothing else (the token policy
//   decides; checked before the rotation too, so a refused resource leaves the token unspent).
// With `openid` in scope a fresh ID token is returned too (OIDC Core §12.2).
import { hashToken, looksLikeOpaqueToken } from '../../crypto/tokens.js';
import { findRefreshToken } from '../../db/repositories/oauth.js';
import { InvalidRequest, InvalidScope } from '../errors.js';
import { parseScope } from '../scopes.js';
import { issueAccessToken } from './access-token.js';
import { idTokenFor } from './id-token.js';
import type { Grant, GrantContext } from './grant.js';

export const refreshTokenGrant: Grant = async (ctx) => {
  const { tenant, client, params } = ctx;
  if (!params.refresh_token) throw new InvalidRequest('The refresh_token parameter is missing.');
  const requested = params.scope === undefined ? null : parseScope(params.scope);
  // Checked before the rotation: an error must leave the token unspent (RFC 6749 §5.2). A token's scope
  // never changes along its family, so the rotated token has the scope read here.
  if (requested || params.resource !== undefined)
    await checkBeforeRotation(ctx, params.refresh_token, requested);
  const { rotated, refreshToken } = await ctx.refreshTokens.rotate(
    tenant,
    params.refresh_token,
    ctx.meta,
    client.clientId,
  );
  const scopes = requested ?? rotated.scope.split(' ').filter((s) => s !== '');
  const issued = await issueAccessToken(ctx, {
    subject: rotated.user_id,
    userId: rotated.user_id,
    sessionId: rotated.session_id,
    scopes,
    amr: rotated.amr,
  });
  const accessToken = issued.accessToken;
  const idToken = scopes.includes('openid')
    ? await idTokenFor(ctx, {
        userId: rotated.user_id,
        browserSessionId: rotated.parent_id ?? rotated.session_id,
        authTime: rotated.auth_time,
        amr: rotated.amr,
        scopes,
        accessToken,
      })
    : undefined;
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope: issued.scope,
    refresh_token: refreshToken,
    ...(idToken ? { id_token: idToken } : {}),
  };
};

/**
 * Refuses (invalid_scope) a requested scope wider than the live token's, and (invalid_target, by the token
 * policy) a resource the grant was not for, when the token is this client's. Any other token is left to
 * the rotation, which refuses it (and recognises reuse).
 */
async function checkBeforeRotation(
  ctx: GrantContext,
  token: string,
  requested: string[] | null,
): Promise<void> {
  if (!looksLikeOpaqueToken(token)) return;
  const current = await findRefreshToken(ctx.db, ctx.tenant.id, hashToken(token));
  if (!current?.active || current.client_id !== ctx.client.clientId) return;
  const granted = current.scope.split(' ').filter((s) => s !== '');
  if (requested) {
    const widened = requested.filter((s) => !granted.includes(s));
    if (widened.length > 0) throw new InvalidScope(`Scope not granted originally: ${widened.join(' ')}.`);
  }
  if (ctx.params.resource !== undefined)
    await ctx.tokenPolicy.accessToken({
      tenant: ctx.tenant,
      client: ctx.client,
      grant: ctx.grant,
      userId: current.user_id,
      sessionId: current.session_id,
      scopes: requested ?? granted,
      resource: ctx.params.resource,
    });
}
