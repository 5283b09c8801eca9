// Pages that exist to say where to go next when there is no application flow to continue: who is signed
// in, a reset or verification link that no longer works. Pure functions, like the other views.
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
