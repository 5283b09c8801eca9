// The ID token a grant returns alongside its access token when `openid` is in scope.
import { findUserById, type UserRow } from '../../db/repositories/users.js';
import { InvalidGrant } from '../errors.js';
import type { GrantContext } from './grant.js';

/** The ID token a grant returns with `openid` in scope, with the user's claims for those scopes. */
export async function idTokenFor(
  ctx: GrantContext,
  grant: {
    userId: string;
    browserSessionId: string;
    authTime: Date;
    amr: string[];
    nonce?: string | null;
    scopes: string[];
    accessToken: string;
    /** The user, when the grant's statement already read it. */
    user?: UserRow;
  },
): Promise<string> {
  const user = grant.user ?? (await findUserById(ctx.db, ctx.tenant.id, grant.userId));
  if (!user || user.blocked) throw new InvalidGrant('The user of this grant is gone or blocked.');
  return ctx.idTokens.issue({
    tenant: ctx.tenant,
    clientId: ctx.client.clientId,
    alg: ctx.client.idTokenSignedResponseAlg,
    subject: grant.userId,
    sessionId: grant.browserSessionId,
    authTime: grant.authTime,
    amr: grant.amr,
    nonce: grant.nonce,
    accessToken: grant.accessToken,
    claims: ctx.scopes.userClaims(user, grant.scopes),
  });
}
