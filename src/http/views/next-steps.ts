// Pages that exist to say where to go next when there is no application flow to continue: who is signed
// in, a reset or verification link that no longer works. Pure functions, like the other views.
import type { Tenant } from '../../tenants/tenants.js';
import { hidden, layout, markup, type PageContext } from './layout.js';

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

/**
 * Something the user should read before the flow goes on (they used a recovery code: how many are left).
 * `next` is where Continue leads: a link, or the form_post form of the authorization's answer (posted only
 * when the user presses Continue, so the page stays until they have read it).
 */
export function beforeContinuingPage(
  tenant: Tenant,
  v: {
    title: string;
    message: string;
    next: { href: string } | { action: string; fields: Record<string, string> };
    link?: { href: string; label: string };
  },
): string {
  const next =
    'href' in v.next
      ? markup`<div class="actions"><a class="button" href="${v.next.href}">Continue</a></div>`
      : markup`<form method="post" action="${v.next.action}">
${Object.entries(v.next.fields).map(([name, value]) => hidden(name, value))}
<div class="actions"><button type="submit">Continue</button></div>
</form>`;
  const link = v.link ? markup`<p class="links"><a href="${v.link.href}">${v.link.label}</a></p>` : '';
  const content = markup`<p role="status" class="notice">${v.message}</p>
${next}
${link}`;
  return layout(tenant, v.title, content);
}
