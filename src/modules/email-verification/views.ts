// Where the verification link leads a person who opens it in a browser.
import { layout, markup } from '../../http/views/layout.js';
import type { Tenant } from '../../tenants/tenants.js';

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
