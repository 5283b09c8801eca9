// Pages that exist to say where to go next when there is no application flow to continue: who is signed
// in, a reset or verification link that no longer works. Pure functions, like the other views.
import type { Tenant } from '../../tenants/tenants.js';
import { hidden, layout, link, markup, type PageContext } from './layout.js';

/** A browser session without an application to return to: who is signed in, sign out, the start page. */
export function signedInPage(ctx: PageContext, v: { email: string }): string {
  const content = markup`<p role="status" class="notice">You're signed in as <strong>${v.email}</strong>.</p>
<p>You can close this page, or go back to the application you came from.</p>
<form method="post" action="${ctx.basePath}/logout">
${hidden('csrf_token', ctx.csrfToken)}
<div class="actions"><button type="submit" name="decision" value="logout" class="secondary">Sign out</button></div>
</form>
<p class="links"><a href="${ctx.basePath}/">Go to the start page</a></p>`;
  return layout(ctx.tenant, "You're signed in", content);
}

/** A reset link that is unknown, expired or spent: said when the page opens, not after typing a password. */
export function resetLinkDeadPage(ctx: PageContext): string {
  const content = markup`<p role="alert" class="error">This link has expired or was already used.</p>
<p>A link to choose a new password works once, for a limited time. Ask for a new one and use the latest email.</p>
<div class="actions"><a class="button" href="${link(ctx, '/forgot')}">Request a new link</a></div>
<p class="links"><a href="${link(ctx, '/login')}">Back to sign in</a></p>`;
  return layout(ctx.tenant, 'Link expired', content);
}

/** Where the email verification link leads a person who opens it in a browser. */
export function emailVerificationPage(tenant: Tenant, basePath: string, v: { verified: boolean }): string {
  const content = v.verified
    ? markup`<p role="status" class="notice">Your email address is confirmed.</p>
<p>You can close this page and go back to the application, or sign in here.</p>
<p class="links"><a href="${basePath}/login">Sign in</a></p>`
    : markup`<p role="alert" class="error">This link has expired or was already used.</p>
<p>If your address is not confirmed yet, sign in to the application and ask it for a new link.</p>
<p class="links"><a href="${basePath}/login">Sign in</a></p>`;
  return layout(tenant, v.verified ? 'Email confirmed' : 'Link expired', content);
}
