// The access token a grant issues: the core's claims, shaped by the token policy (src/oauth/token-policy.ts:
// the audience of the `resource` asked for, the scope that resource allows, extra claims, the lifetime).
import { formatScope } from '../scopes.js';
import type { GrantContext } from './grant.js';

export interface IssuedAccessToken {
  accessToken: string;
  /** The access token's scope, as the token response names it. */
  scope: string;
  expiresIn: number;
}

export async function issueAccessToken(
  ctx: GrantContext,
  input: { subject: string; userId?: string; sessionId?: string; scopes: readonly string[]; amr?: string[] },
): Promise<IssuedAccessToken> {
  const shape = await ctx.tokenPolicy.accessToken({
    tenant: ctx.tenant,
    client: ctx.client,
    grant: ctx.grant,
    scopes: input.scopes,
    ...(input.userId ? { userId: input.userId } : {}),
    ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    ...(ctx.params.resource !== undefined ? { resource: ctx.params.resource } : {}),
  });
  const scope = formatScope(shape.scopes ?? input.scopes);
  const ttlSeconds = shape.ttlSeconds ?? ctx.accessTokens.ttlSecondsFor(ctx.tenant);
  const accessToken = await ctx.accessTokens.issue({
    tenant: ctx.tenant,
    subject: input.subject,
    ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    scope,
    ...(input.amr ? { amr: input.amr } : {}),
    clientId: ctx.client.clientId,
    ...(shape.audience ? { audience: shape.audience } : {}),
    ...(shape.claims ? { claims: shape.claims } : {}),
    ttlSeconds,
  });
  return { accessToken, scope, expiresIn: ttlSeconds };
}
