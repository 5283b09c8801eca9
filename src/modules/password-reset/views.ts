// The password-reset pages as pure functions from data to HTML: ask for a link, the page the link
// opens, and the one said when the link no longer works.
import { alertBox, form, hidden, layout, link, markup, type PageContext } from '../../http/views/layout.js';

export function forgotPage(
  ctx: PageContext,
  v: { interaction?: string; email?: string; sent?: boolean; error?: string },
): string {
  if (v.sent) {
    // The same words whether or not the address has an account: the page must not reveal which emails exist.
    const content = markup`<p role="status" class="notice">If an account exists for that email address, we have sent it a link to choose a new password. The link works once and expires soon.</p>
<p class="links"><a href="${link(ctx, '/login', v.interaction)}">Back to sign in</a></p>`;
    return layout(ctx.tenant, 'Check your email', content);
  }
  const fields = markup`<div class="field"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required value="${v.email ?? ''}"></div>
<div class="actions"><button type="submit">Send reset link</button></div>`;
  const content = markup`${alertBox(v.error)}
<p>Enter the email address of your account and we will send you a link to choose a new password.</p>
${form(ctx, `${ctx.basePath}/forgot`, v.interaction, fields)}
<p class="links"><a href="${link(ctx, '/login', v.interaction)}">Back to sign in</a></p>`;
  return layout(ctx.tenant, 'Reset your password', content);
}

export function resetPasswordPage(
  ctx: PageContext,
  v: { token: string; error?: string; done?: boolean },
): string {
  if (v.done) {
    const content = markup`<p role="status" class="notice">Your password has been changed. You can now sign in with it.</p>
<p class="links"><a href="${link(ctx, '/login')}">Sign in</a></p>`;
    return layout(ctx.tenant, 'Password changed', content);
  }
  const fields = markup`${hidden('token', v.token)}
<div class="field"><label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" required></div>
<div class="field"><label for="confirm">Repeat the new password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></div>
<div class="actions"><button type="submit">Change password</button></div>`;
  const content = markup`${alertBox(v.error)}
${form(ctx, `${ctx.basePath}/reset-password`, undefined, fields)}`;
  return layout(ctx.tenant, 'Choose a new password', content);
}

/** A reset link that is unknown, expired or spent: said when the page opens, not after typing a password. */
export function resetLinkDeadPage(ctx: PageContext): string {
  const content = markup`<p role="alert" class="error">This link has expired or was already used.</p>
<p>A link to choose a new password works once, for a limited time. Ask for a new one and use the latest email.</p>
<div class="actions"><a class="button" href="${link(ctx, '/forgot')}">Request a new link</a></div>
<p class="links"><a href="${link(ctx, '/login')}">Back to sign in</a></p>`;
  return layout(ctx.tenant, 'Link expired', content);
}
