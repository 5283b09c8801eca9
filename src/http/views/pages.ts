// The hosted pages as pure functions from data to HTML (no Fastify, no I/O); the routes live in
// src/http/hosted-pages.ts. Every form posts back to its own path under the tenant's base path and carries the
// CSRF token; every input has a label; nothing needs JavaScript except the form_post auto-submit.
import { createHash } from 'node:crypto';
import type { PasswordPolicy } from '../../auth/password-policy.js';
import { STANDARD_SCOPES } from '../../oauth/scope-registry.js';
import type { Tenant } from '../../tenants/tenants.js';
import { passwordSignInEnabled, signUpEnabled } from '../../tenants/settings.js';
import {
  alertBox,
  form,
  type Html,
  brandingOf,
  hidden,
  layout,
  link,
  markup,
  noticeBox,
  trustedHtml,
  type PageContext,
} from './layout.js';

export { layout, type PageContext } from './layout.js';

/** Human text for the standard OpenID Connect scopes, shown on the consent page. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = STANDARD_SCOPES.descriptions;

/**
 * Another way to sign in a feature module adds to the sign-in page, as a button above the password form:
 * a link that leaves for it (a social provider) or a form posted with the CSRF token (a passkey's answer,
 * filled in by the module's script). Either carries the authorization in progress (`interaction`) or the
 * page to return to (`return_to`).
 */
export interface LoginButton {
  /** kebab-case, unique on the page: the element's id (a module's script finds it by it). */
  id: string;
  /** "Continue with Google". */
  label: string;
  /** The module's route, relative to the tenant's base path. */
  href: string;
  /** A form posted to `href` rather than a link to it. */
  post?: boolean;
  /** Works only with JavaScript: rendered hidden; the module's script shows it (and the block around it). */
  needsScript?: boolean;
  /** A small mark (an SVG the module drew: constant markup, never input). */
  icon?: Html;
  /** The brand's colours: background, text and border (#rgb or #rrggbb); the page's defaults otherwise. */
  colors?: { background: string; text: string; border?: string };
}

const HEX_COLOR = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/;

/**
 * The modules' buttons, then "or" above the password form; nothing when there are none. When every button
 * needs a script, the block stays hidden until a script shows it.
 */
function loginButtons(
  ctx: PageContext,
  buttons: readonly LoginButton[],
  interaction: string | undefined,
  returnTo: string | undefined,
): Html | '' {
  if (buttons.length === 0) return '';
  const query = interaction
    ? `?interaction=${encodeURIComponent(interaction)}`
    : returnTo
      ? `?return_to=${encodeURIComponent(returnTo)}`
      : '';
  const items = buttons.map((b) => {
    const c = b.colors;
    const style =
      c && [c.background, c.text, c.border ?? c.background].every((x) => HEX_COLOR.test(x))
        ? markup` style="${`background:${c.background};color:${c.text};border-color:${c.border ?? c.background}`}"`
        : '';
    const face = markup`${b.icon ? markup`<span class="mark" aria-hidden="true">${b.icon}</span>` : ''}<span>${b.label}</span>`;
    const hide = b.needsScript ? trustedHtml(' hidden') : '';
    return b.post
      ? markup`<form method="post" action="${ctx.basePath}${b.href}" id="${b.id}"${hide}>
${hidden('csrf_token', ctx.csrfToken)}${interaction ? hidden('interaction', interaction) : ''}${returnTo && !interaction ? hidden('return_to', returnTo) : ''}
<button type="submit" class="alt"${style}>${face}</button>
</form>`
      : markup`<a class="button alt" id="${b.id}" href="${ctx.basePath}${b.href}${query}"${style}${hide}>${face}</a>`;
  });
  const hideAll = buttons.every((b) => b.needsScript) ? trustedHtml(' hidden') : '';
  return markup`<div class="ways"${hideAll}><div class="alts${buttons.length > 2 ? trustedHtml(' many') : ''}">${items}</div>
<p class="divider">or</p></div>`;
}

export function loginPage(
  ctx: PageContext,
  v: {
    interaction?: string;
    email?: string;
    error?: string;
    notice?: string;
    /** The account the application asked for (id_token_hint), and who is signed in instead, if anyone. */
    loginAs?: { email: string; signedInAs?: string };
    /** Links feature modules add under the form ("Forgot your password?"). */
    links?: readonly { href: string; label: string }[];
    /** Other ways to sign in feature modules add (social providers, a passkey), above the form. */
    buttons?: readonly LoginButton[];
    /** Their scripts (our origin; the page must go out with sendHtml's `scripts`). */
    scripts?: readonly string[];
    /** Tokens appended to the email field's autocomplete (`webauthn`). */
    autocomplete?: readonly string[];
    /** A page of ours to go to once signed in (no authorization in progress). */
    returnTo?: string;
  },
): string {
  const loginAs = v.loginAs
    ? markup`<p class="notice" role="status">Sign in as <strong>${v.loginAs.email}</strong> to continue.${
        v.loginAs.signedInAs
          ? markup` You are signed in as <strong>${v.loginAs.signedInAs}</strong>, but this request is for another account.`
          : ''
      }</p>`
    : '';
  const autocomplete = ['username', ...(v.autocomplete ?? [])].join(' ');
  const fields = markup`<div class="field"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="${autocomplete}" required value="${v.email ?? ''}"></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
${v.returnTo ? hidden('return_to', v.returnTo) : ''}
<div class="actions"><button type="submit">Sign in</button></div>`;
  // The tenant's switches (settings.sign_in.password, settings.sign_up): no form or link that would refuse.
  const passwords = passwordSignInEnabled(ctx.tenant);
  const signUp = passwords && signUpEnabled(ctx.tenant);
  const content = markup`${alertBox(v.error)}${noticeBox(v.notice)}${loginAs}
${loginButtons(ctx, v.buttons ?? [], v.interaction, v.returnTo)}
${passwords ? form(ctx, `${ctx.basePath}/login`, v.interaction, fields) : ''}
<p class="links row">${(v.links ?? []).map((l) => markup`<a href="${link(ctx, l.href, v.interaction)}">${l.label}</a> `)}${signUp ? markup`<a href="${link(ctx, '/register', v.interaction)}">Create an account</a>` : ''}</p>`;
  return layout(ctx.tenant, 'Sign in', content, { scripts: v.scripts });
}

/** What the second-step page shows of a factor. */
export interface FactorView {
  id: string;
  /** "Authenticator app". */
  label: string;
  /** What the code field asks for ("The 6-digit code from your authenticator app"). */
  prompt: string;
  /** Recovery codes: offered as "Use … instead", never first. */
  fallback: boolean;
  /** The factor sends its code (email, SMS): the page has a Send code / Resend button. */
  sends: boolean;
  /** Its codes are digits only (a phone shows the number pad); false: letters too (recovery codes). */
  digits: boolean;
  /** The browser answers it (SecondFactor.browserScripts): these scripts, and a button instead of a code field. */
  scripts?: readonly string[];
}

/** A factor's setup during a sign-in that requires one: the QR code (an SVG we rendered), the secret. */
export interface EnrollmentView {
  /** The QR code as an SVG document; shown as an image (an SVG in <img> runs no script, loads nothing). */
  qrSvg?: string;
  secret?: string;
  /** otpauth:// URI: a link that opens the authenticator app on a phone. */
  uri?: string;
  /** Recovery codes made with the user's first factor: this page is the only time they are shown. */
  recoveryCodes?: readonly string[];
}

/**
 * The second step of a sign-in (/mfa): the code of the chosen factor, with what that factor needs: a
 * Send code button, the setup (QR code and secret) when the user sets it up now, "Remember this device",
 * and the other factors (fallbacks such as recovery codes last). Each action is its own small form, so
 * Enter in the code field always submits the code.
 */
export function mfaPage(
  ctx: PageContext,
  v: {
    interaction?: string;
    /** A page of ours to go to once signed in (no authorization in progress). */
    returnTo?: string;
    challenge: string;
    factor: FactorView;
    /** The other factors the challenge offers. */
    others: readonly FactorView[];
    /** The user sets the factor up now (enrolment). */
    enroll: boolean;
    /** The setup to show (first time, or asked again); absent after a wrong code during enrolment. */
    enrollment?: EnrollmentView;
    /** A signed-in session asks for more (step-up): no "start over" with another account. */
    stepUp: boolean;
    /** "Remember this device for N days" (0: not offered). */
    rememberDays: number;
    remember?: boolean;
    /** Where the code went, masked ("j•••@example.com"). */
    sentTo?: string;
    error?: string;
  },
): string {
  const back = v.returnTo ? hidden('return_to', v.returnTo) : '';
  const keep = markup`${hidden('mfa_token', v.challenge)}${hidden('factor', v.factor.id)}`;
  const action = (name: string) => hidden('action', name);
  const post = (fields: Html) => form(ctx, `${ctx.basePath}/mfa`, v.interaction, markup`${back}${fields}`);

  const intro = v.enroll
    ? v.enrollment?.qrSvg
      ? 'Your account needs a second step at sign-in. Scan this QR code with an authenticator app, then enter the code it shows.'
      : `Your account needs a second step at sign-in. Set up ${lowerFirst(v.factor.label)}, then enter the code.`
    : v.stepUp
      ? 'The application asks you to confirm it’s you with a second step.'
      : (v.factor.scripts ?? []).length > 0
        ? `Your account is protected with a second step. ${v.factor.prompt} to finish signing in.`
        : 'Your account is protected with a second step. Enter the code to finish signing in.';
  const sentNotice = v.sentTo ? markup`We sent a code to <strong>${v.sentTo}</strong>.` : undefined;

  const enrollment = v.enrollment ? enrollmentBlock(v.enrollment) : '';
  const setupAgain =
    v.enroll && !v.enrollment
      ? post(
          markup`${keep}${action('enroll')}<p class="muted center">Lost the QR code? <button type="submit" class="link">Show a new one</button></p>`,
        )
      : '';
  // Before a code is sent, sending it is the first thing to do; after, resending goes under the code.
  const send = v.factor.sends
    ? post(
        v.sentTo
          ? markup`${keep}${action('send')}<p class="muted center">Didn’t get it? <button type="submit" class="link">Resend code</button></p>`
          : markup`${keep}${action('send')}<div class="actions send"><button type="submit" class="secondary">Send code</button></div>`,
      )
    : '';
  const remember =
    v.rememberDays > 0
      ? markup`<div class="choice"><input type="checkbox" id="remember_device" name="remember_device" value="true"${v.remember ? trustedHtml(' checked') : ''}><label for="remember_device">Remember this device for ${String(v.rememberDays)} ${v.rememberDays === 1 ? 'day' : 'days'}</label></div>`
      : '';
  const scripts = v.factor.scripts ?? [];
  // A factor the browser answers (a passkey): its script shows this form and posts the answer as `code`.
  const verify =
    scripts.length > 0
      ? markup`<form method="post" action="${ctx.basePath}/mfa" id="factor-${v.factor.id}" hidden>
${hidden('csrf_token', ctx.csrfToken)}${v.interaction ? hidden('interaction', v.interaction) : ''}${back}${keep}${action('verify')}
${remember}
<div class="actions"><button type="submit">${v.factor.prompt}</button></div>
</form>
<p class="muted center" id="factor-${v.factor.id}-unsupported">This needs JavaScript and a browser that supports it: choose another way below.</p>`
      : post(markup`${keep}${action('verify')}
<div class="field"><label for="code">${v.factor.prompt}</label><input id="code" name="code" type="text" class="code" inputmode="${v.factor.digits ? 'numeric' : 'text'}" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required autofocus></div>
${remember}
<div class="actions"><button type="submit">Continue</button></div>`);

  // Other factors first, then fallbacks ("Use recovery codes instead").
  const ordered = [...v.others.filter((f) => !f.fallback), ...v.others.filter((f) => f.fallback)];
  const choices = ordered.map((f) =>
    post(
      markup`${hidden('mfa_token', v.challenge)}${hidden('factor', f.id)}${action('choose')}<button type="submit" class="${f.fallback ? 'link' : 'secondary'}">${f.fallback ? `Use ${lowerFirst(f.label)} instead` : f.label}</button>`,
    ),
  );
  const others =
    ordered.length > 0
      ? markup`<div class="others"><p class="divider"><span>Other ways to verify</span></p>${choices}</div>`
      : '';
  const startOver = v.stepUp
    ? ''
    : markup`<p class="links"><a href="${link(ctx, '/login', v.interaction)}">Start over</a></p>`;

  const content = markup`<p class="factor">${v.factor.label}</p>
<p class="intro">${intro}</p>
${alertBox(v.error)}${sentNotice ? markup`<p role="status" class="notice">${sentNotice}</p>` : ''}
${enrollment}${v.sentTo ? '' : send}${verify}${v.sentTo ? send : ''}${setupAgain}${others}${startOver}`;
  return layout(ctx.tenant, v.enroll ? 'Secure your account' : 'Verify it’s you', content, {
    scripts: scripts.map((path) => `${ctx.basePath}${path}`),
  });
}

/** What an authenticator app needs to be set up (here, and on the account page): QR code, link, key. */
export function enrollmentBlock(e: EnrollmentView): Html {
  const qr = e.qrSvg
    ? markup`<p class="qr"><img src="data:image/svg+xml;base64,${Buffer.from(e.qrSvg).toString('base64')}" alt="QR code to scan with your authenticator app" width="192" height="192"></p>`
    : '';
  const open =
    e.uri && e.uri.startsWith('otpauth://')
      ? markup`<p class="center"><a href="${e.uri}">Open in your authenticator app</a></p>`
      : '';
  // The secret in groups of four, as authenticator apps show it; without JavaScript <details> still opens.
  const secret = e.secret
    ? markup`<details class="secret"><summary>Can’t scan it? Enter this key instead</summary><code class="value">${e.secret.match(/.{1,4}/g)?.join(' ') ?? e.secret}</code></details>`
    : '';
  const codes = e.recoveryCodes?.length
    ? markup`<div class="recovery-codes"><p><strong>Save your recovery codes.</strong> Each one works once, if you lose your phone. They are not shown again.</p><ul>${e.recoveryCodes.map((c) => markup`<li><code>${c}</code></li>`)}</ul></div>`
    : '';
  return markup`${qr}${open}${secret}${codes}`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The password policy's rules in words, listed under a new-password field. */
export function passwordHintsOf(policy: PasswordPolicy): string[] {
  const hints = [`At least ${policy.minLength} characters`];
  if (policy.requireUppercase) hints.push('An uppercase letter');
  if (policy.requireLowercase) hints.push('A lowercase letter');
  if (policy.requireDigit) hints.push('A digit');
  if (policy.requireSymbol) hints.push('A symbol');
  if (policy.rejectCommon) hints.push('Not a commonly used password');
  return hints;
}

export function registerPage(
  ctx: PageContext,
  v: { interaction?: string; email?: string; name?: string; error?: string; passwordHints: string[] },
): string {
  const hasHints = v.passwordHints.length > 0;
  const hints = hasHints
    ? markup`<ul class="hint" id="password-hints">${v.passwordHints.map((h) => markup`<li>${h}</li>`)}</ul>`
    : '';
  const describedBy = hasHints ? markup` aria-describedby="password-hints"` : '';
  const fields = markup`<div class="field"><label for="name">Name</label><input id="name" name="name" type="text" autocomplete="name" value="${v.name ?? ''}"></div>
<div class="field"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required value="${v.email ?? ''}"></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" required${describedBy}>${hints}</div>
<div class="actions"><button type="submit">Create account</button></div>`;
  const content = markup`${alertBox(v.error)}
${form(ctx, `${ctx.basePath}/register`, v.interaction, fields)}
<p class="links">Already have an account? <a href="${link(ctx, '/login', v.interaction)}">Sign in</a></p>`;
  return layout(ctx.tenant, 'Create an account', content);
}

export function consentPage(
  ctx: PageContext,
  v: {
    interaction: string;
    clientName: string;
    userEmail: string;
    scopes: { name: string; description: string }[];
  },
): string {
  const scopes = v.scopes.map(
    (s) =>
      markup`<li>${s.description || (Object.hasOwn(SCOPE_DESCRIPTIONS, s.name) ? SCOPE_DESCRIPTIONS[s.name] : '') || s.name} <code>${s.name}</code></li>`,
  );
  // "Not you?" ends this browser's session and returns to the sign-in of the same request (a POST: it signs out).
  const buttons = markup`<div class="actions"><button type="submit" name="decision" value="allow">Allow</button><button type="submit" name="decision" value="deny" class="secondary">Deny</button></div>
<p class="account">Signed in as <strong>${v.userEmail}</strong>. <button type="submit" name="decision" value="switch_account" class="link">Not you? Use another account</button></p>`;
  const content = markup`<p><strong>${v.clientName}</strong> wants to access your ${brandingOf(ctx.tenant).name} account.</p>
${v.scopes.length > 0 ? markup`<p>It will be able to:</p><ul class="scopes">${scopes}</ul>` : ''}
${form(ctx, `${ctx.basePath}/consent`, v.interaction, buttons)}`;
  return layout(ctx.tenant, 'Allow access?', content);
}

export function logoutConfirmPage(ctx: PageContext, v: { hidden: Record<string, string> }): string {
  const echoed = Object.entries(v.hidden).map(([name, value]) => hidden(name, value));
  const fields = markup`${echoed}
<div class="actions"><button type="submit" name="decision" value="logout">Sign out</button><button type="submit" name="decision" value="cancel" class="secondary">Stay signed in</button></div>`;
  const content = markup`<p>Do you want to sign out of your ${brandingOf(ctx.tenant).name} account?</p>
${form(ctx, `${ctx.basePath}/logout`, undefined, fields)}`;
  return layout(ctx.tenant, 'Sign out', content);
}

export function loggedOutPage(ctx: PageContext): string {
  const content = markup`<p role="status" class="notice">You have been signed out.</p>
<p class="links"><a href="${link(ctx, '/login')}">Sign in again</a></p>`;
  return layout(ctx.tenant, 'Signed out', content);
}

/** An error page: fixed text from src/http/views/error-messages.ts, the request id, and where to go next. */
export function errorPage(
  tenant: Tenant | null,
  v: {
    title: string;
    message: string;
    help?: string;
    requestId?: string;
    next?: { href: string; label: string };
  },
): string {
  const content = markup`<p role="alert" class="error">${v.message}</p>
${v.help ? markup`<p>${v.help}</p>` : ''}
${v.requestId ? markup`<p class="muted">Request ID: <code>${v.requestId}</code></p>` : ''}
${v.next ? markup`<p class="links"><a href="${v.next.href}">${v.next.label}</a></p>` : ''}`;
  return layout(tenant, v.title, content);
}

// ---------------------------------------------------------------------------------------------------------
// OAuth response_mode=form_post (OAuth 2.0 Form Post Response Mode): a page that posts the authorization
// response to the client's redirect URI. The script is a constant, so the route can allow exactly it with a
// CSP hash (`script-src 'self' ${FORM_POST_SCRIPT_HASH}`, plus the redirect URI's origin in `form-action`). It
// calls the prototype's submit() so a field named "submit" cannot shadow it. Without JavaScript the <noscript>
// button does the same.

export const FORM_POST_SCRIPT = 'HTMLFormElement.prototype.submit.call(document.forms[0]);';
/** The CSP source for FORM_POST_SCRIPT, quotes included: `'sha256-…'`. */
export const FORM_POST_SCRIPT_HASH = `'sha256-${createHash('sha256').update(FORM_POST_SCRIPT).digest('base64')}'`;

const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'blob:', 'file:']);

export function formPostPage(v: { action: string; fields: Record<string, string> }): string {
  let scheme: string;
  try {
    scheme = new URL(v.action).protocol;
  } catch {
    throw new TypeError('form_post action must be an absolute URL');
  }
  if (UNSAFE_SCHEMES.has(scheme)) throw new TypeError('form_post action has an unsafe scheme');
  const fields = Object.entries(v.fields).map(([name, value]) => hidden(name, value));
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Continue</title>
<style>body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f3f4f6}main{text-align:center;padding:2rem}button{padding:.7rem 1.5rem;font:inherit;font-weight:600;border:0;border-radius:8px;background:#1d4ed8;color:#fff;cursor:pointer}</style>
</head>
<body>
<main>
<form method="post" action="${v.action}">
${fields}
<noscript><p>JavaScript is off: press Continue to return to the application.</p><button type="submit">Continue</button></noscript>
</form>
</main>
<script>${trustedHtml(FORM_POST_SCRIPT)}</script>
</body>
</html>
`.value;
}
