// What the authorization endpoint, the login page and the consent page share: reading the browser
// session and the interaction cookie, the pages' Content-Security-Policy, and turning an
// AuthorizeOutcome into a response (redirect, form_post page, login, second-step or consent
// page, error page).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserSessions } from '../auth/browser-sessions.js';
import type { SessionAccess } from '../auth/session-access.js';
import type { SessionWithUser } from '../db/repositories/sessions.js';
import type { Interaction } from '../oauth/interaction.js';
import type { AuthorizeOutcome, OAuthService, SignedIn } from '../oauth/service.js';
import { statusOf } from '../errors.js';
import type { Tenant } from '../tenants/tenants.js';
import type { Cookies } from './cookies.js';
import type { Csrf } from './csrf.js';
import { setPageSecurityHeaders } from './security-headers.js';
import {
  PAGE_ERRORS,
  authorizationErrorKind,
  type NextStep,
  type PageErrorKind,
  type PageErrorText,
} from './views/error-messages.js';
import { beforeContinuingPage } from './views/next-steps.js';
import { FORM_POST_SCRIPT_HASH, errorPage, formPostPage, type PageContext } from './views/pages.js';

export interface FlowDeps {
  browserSessions: BrowserSessions;
  sessionAccess: SessionAccess;
  oauth: OAuthService;
  cookies: Cookies;
  csrf: Csrf;
}

export function signedIn(session: SessionWithUser): SignedIn {
  return {
    sessionId: session.id,
    userId: session.user_id,
    email: session.email,
    authTime: session.auth_time,
    amr: session.amr,
  };
}

export async function currentSession(deps: FlowDeps, request: FastifyRequest, t: Tenant) {
  return deps.browserSessions.current(t, deps.cookies.read(request, 'session', t));
}

/** The interaction in the cookie, when it is the one `id` names (a form or link carries the id). */
export function currentInteraction(
  deps: FlowDeps,
  request: FastifyRequest,
  t: Tenant,
  id: string | undefined,
): Interaction | null {
  const interaction = deps.oauth.interactions.open(t.id, deps.cookies.read(request, 'interaction', t));
  return interaction && interaction.id === id ? interaction : null;
}

/** The path prefix of a tenant's pages, from its issuer (works behind a proxy that adds a path). */
export function basePath(t: Tenant): string {
  return new URL(t.issuer).pathname.replace(/\/$/, '');
}

/** The page context, with a CSRF token (setting the secret cookie when the browser has none). */
export function pageContext(
  deps: FlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  t: Tenant,
): PageContext {
  let secret = deps.csrf.validSecret(deps.cookies.read(request, 'csrf', t));
  if (!secret) {
    secret = deps.csrf.newSecret();
    deps.cookies.set(reply, 'csrf', t, secret);
  }
  return { tenant: t, csrfToken: deps.csrf.token(secret, t.id), basePath: basePath(t) };
}

export function csrfValid(deps: FlowDeps, request: FastifyRequest, t: Tenant, token: unknown): boolean {
  return deps.csrf.verify(deps.csrf.validSecret(deps.cookies.read(request, 'csrf', t)), t.id, token);
}

/**
 * Hosted pages: nothing but our own styles and images, never framed, and forms that may post (and be
 * redirected, which browsers also check against form-action) only to us and to the client the
 * interaction will return to.
 */
function setPageCsp(
  reply: FastifyReply,
  redirectTarget?: string,
  scriptHash?: string,
  selfScripts?: boolean,
): void {
  // No script at all unless the page runs the one inline script of its hash, or files of our origin.
  const scripts = [selfScripts ? "'self'" : '', scriptHash ?? ''].filter(Boolean);
  const formAction = ["'self'"];
  const origin = redirectTarget ? originOf(redirectTarget) : null;
  if (origin) formAction.push(origin);
  reply.header(
    'content-security-policy',
    [
      "default-src 'self'",
      "base-uri 'none'",
      "object-src 'none'",
      "frame-ancestors 'none'",
      `form-action ${formAction.join(' ')}`,
      "img-src 'self' https: data:",
      "style-src 'self' 'unsafe-inline'",
      `script-src ${scripts.length > 0 ? scripts.join(' ') : "'none'"}`,
    ].join('; '),
  );
  reply.header('cache-control', 'no-store');
  reply.header('referrer-policy', 'no-referrer');
}

function originOf(uri: string): string | null {
  try {
    const url = new URL(uri);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    // A native app's private-use scheme (com.example.app:/cb).
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : null;
  } catch {
    return null;
  }
}

/**
 * Every HTML page goes out here, with the pages' CSP and browser headers. `formTarget`: the redirect URI
 * the page's form may lead to (added to form-action); `scriptHash`: the one inline script it may run;
 * `scripts`: the page loads script files of our own origin (layout's `scripts`): `script-src 'self'`.
 */
export function sendHtml(
  reply: FastifyReply,
  status: number,
  body: string,
  page: { formTarget?: string; scriptHash?: string; scripts?: boolean } = {},
) {
  setPageCsp(reply, page.formTarget, page.scriptHash, page.scripts);
  setPageSecurityHeaders(reply);
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

const NEXT_STEPS: Record<NextStep, { path: string; label: string }> = {
  login: { path: '/login', label: 'Go to the sign-in page' },
  home: { path: '/', label: 'Go to the start page' },
};

/**
 * An error page with the fixed text of `kind` and the request id. `detail` (the rule that was broken, which
 * may name request parameters) is logged under the request id, never shown.
 */
export function sendErrorPage(reply: FastifyReply, t: Tenant | null, kind: PageErrorKind, detail?: string) {
  const text: PageErrorText = PAGE_ERRORS[kind];
  const log = reply.request.log;
  (text.warn ? log.warn : log.info).call(log, { error: kind, detail }, 'error page');
  const step = text.next ? NEXT_STEPS[text.next] : undefined;
  const page = errorPage(t, {
    title: text.title,
    message: text.message,
    help: text.help,
    requestId: reply.request.id,
    next: step && t ? { href: `${basePath(t)}${step.path}`, label: step.label } : undefined,
  });
  return sendHtml(reply, statusOf(text.code), page);
}

/** The hosted page each kind of interaction continues on. */
const PAGE_OF = { login: 'login', step_up: 'mfa', consent: 'consent' } as const;

/** Turns the provider's decision into the browser's next step. */
/** What the user reads before the flow goes on (see beforeContinuingPage). */
export interface BeforeContinuing {
  title: string;
  message: string;
  link?: { href: string; label: string };
}

/**
 * Where the flow goes next: a redirect (or the form_post page); with `first`, a page that says it and
 * whose Continue button leads there.
 */
export function sendOutcome(
  deps: FlowDeps,
  reply: FastifyReply,
  t: Tenant,
  outcome: AuthorizeOutcome,
  first?: BeforeContinuing,
) {
  reply.header('cache-control', 'no-store');
  switch (outcome.kind) {
    case 'error_page':
      return sendErrorPage(reply, t, authorizationErrorKind(outcome.error.code), outcome.error.description);
    case 'respond': {
      deps.cookies.clear(reply, 'interaction', t);
      if (outcome.responseMode === 'form_post') {
        const post = { action: outcome.redirectUri, fields: outcome.params };
        return first
          ? sendHtml(reply, 200, beforeContinuingPage(t, { ...first, next: post }), {
              formTarget: post.action,
            })
          : sendHtml(reply, 200, formPostPage(post), {
              formTarget: post.action,
              scriptHash: FORM_POST_SCRIPT_HASH,
            });
      }
      const target = new URL(outcome.redirectUri);
      for (const [name, value] of Object.entries(outcome.params)) target.searchParams.set(name, value);
      return continueTo(reply, t, target.href, first);
    }
    case 'login':
    case 'step_up':
    case 'consent': {
      const sealed = deps.oauth.interactions.seal(t.id, outcome.interaction);
      deps.cookies.set(reply, 'interaction', t, sealed, deps.oauth.interactions.maxAgeSeconds);
      const page = PAGE_OF[outcome.kind];
      return continueTo(reply, t, `${basePath(t)}/${page}?interaction=${outcome.interaction.id}`, first);
    }
  }
}

/** A 303 to `href`, or (with `first`) the page that says it, with Continue leading there. */
export function continueTo(reply: FastifyReply, t: Tenant, href: string, first?: BeforeContinuing) {
  if (!first) return reply.redirect(href, 303);
  reply.header('cache-control', 'no-store');
  return sendHtml(reply, 200, beforeContinuingPage(t, { ...first, next: { href } }));
}

/** The interaction a form or link names is gone (expired, or replaced by a newer sign-in in this browser). */
export function interactionExpired(reply: FastifyReply, t: Tenant) {
  return sendErrorPage(reply, t, 'interaction_expired', 'The interaction is not the one in the cookie.');
}

/**
 * A page's form: CSRF checked first; an authorization in progress must still be the one named. On failure
 * the error page is already sent.
 */
export function checkPageForm(
  deps: FlowDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  t: Tenant,
  body: { csrf_token?: string; interaction?: string },
): { ok: false } | { ok: true; interaction: Interaction | null } {
  if (!csrfValid(deps, request, t, body.csrf_token)) {
    sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
    return { ok: false };
  }
  if (body.interaction === undefined) return { ok: true, interaction: null };
  const interaction = currentInteraction(deps, request, t, body.interaction);
  if (!interaction) {
    interactionExpired(reply, t);
    return { ok: false };
  }
  return { ok: true, interaction };
}
