// The page an invitation link opens, as pure functions from data to HTML: the form that creates the
// account (the address fixed by the invitation), and the one page every dead link gets.
import {
  alertBox,
  brandingOf,
  form,
  hidden,
  layout,
  link,
  markup,
  type PageContext,
} from '../../http/views/layout.js';

export function invitePage(
  ctx: PageContext,
  v: {
    token: string;
    email: string;
    name?: string | null;
    /** The password field with the tenant's policy's hints; false where the tenant does not use passwords. */
    password: { hints: string[] } | false;
    error?: string;
  },
): string {
  const tenantName = brandingOf(ctx.tenant).name;
  const hints =
    v.password && v.password.hints.length > 0
      ? markup`<ul class="hint" id="password-hints">${v.password.hints.map((h) => markup`<li>${h}</li>`)}</ul>`
      : '';
  const passwordFields = v.password
    ? markup`<div class="field"><label for="password">Choose a password</label><input id="password" name="password" type="password" autocomplete="new-password" required${hints ? markup` aria-describedby="password-hints"` : ''}>${hints}</div>
<div class="field"><label for="confirm">Repeat the password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></div>`
    : markup`<p class="hint-line">You will sign in with one of the ways ${tenantName} offers on its sign-in page.</p>`;
  const fields = markup`${hidden('token', v.token)}
<div class="field"><label for="email">Email address</label><input id="email" type="email" autocomplete="username" readonly value="${v.email}"></div>
<div class="field"><label for="name">Name</label><input id="name" name="name" type="text" autocomplete="name" value="${v.name ?? ''}"></div>
${passwordFields}
<div class="actions"><button type="submit">Create account</button></div>`;
  const content = markup`${alertBox(v.error)}
<p>You have been invited to create your ${tenantName} account.</p>
${form(ctx, `${ctx.basePath}/invite`, undefined, fields)}
<p class="links">Already have an account? <a href="${link(ctx, '/login')}">Sign in</a></p>`;
  return layout(ctx.tenant, 'Accept your invitation', content);
}

/**
 * A link that is unknown, expired, revoked or used: the same words for each, so the page tells nothing
 * about which (nor whether an invitation ever existed).
 */
export function inviteDeadPage(ctx: PageContext): string {
  const content = markup`<p role="alert" class="error">This invitation link is invalid, has expired or was already used.</p>
<p>An invitation works once, for a limited time. If you already accepted it, sign in; otherwise ask whoever invited you to send a new one.</p>
<div class="actions"><a class="button" href="${link(ctx, '/login')}">Sign in</a></div>`;
  return layout(ctx.tenant, 'Invitation not valid', content);
}

/** Where the tenant does not use passwords: the account exists; the sign-in page offers the other ways. */
export function inviteDonePage(ctx: PageContext, email: string): string {
  const content = markup`<p role="status" class="notice">Your account for <strong>${email}</strong> is ready.</p>
<p>Sign in with one of the ways offered on the sign-in page.</p>
<div class="actions"><a class="button" href="${link(ctx, '/login')}">Continue to sign in</a></div>`;
  return layout(ctx.tenant, 'Account created', content);
}
