// What the account page's forms share, the core's cards and the modules' sections (AccountSection): where
// the browser signs in (again) and comes back, and a form's start: its CSRF token, then the session.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionWithUser } from '../db/repositories/sessions.js';
import type { Tenant } from '../tenants/tenants.js';
import { basePath, csrfValid, currentSession, sendErrorPage, type FlowDeps } from './authorization-flow.js';

/** Sign in (again), then back to the account page: "Confirm it's you", and where a signed-out form goes. */
export const ACCOUNT_SIGN_IN = '/login?return_to=/account';

/**
 * A form of the account page: checks its CSRF token (else the form-expired page), then finds the browser's
 * session (else to sign in and back). Null when the answer is already sent.
 */
export async function accountFormSession(
  deps: FlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  t: Tenant,
  body: { csrf_token?: string },
): Promise<SessionWithUser | null> {
  if (!csrfValid(deps, request, t, body.csrf_token)) {
    await sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
    return null;
  }
  const session = await currentSession(deps, request, t);
  if (!session) await reply.redirect(`${basePath(t)}${ACCOUNT_SIGN_IN}`, 303);
  return session;
}
