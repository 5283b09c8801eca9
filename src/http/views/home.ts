// The start page of an issuer (GET / for the default tenant, /t/{slug}/ for the others): what this service is,
// the way in for people (sign in, create an account), and for developers the issuer, the documents a relying
// party reads, and how to create a first client. Pure function, like the other views.
import { passwordSignInEnabled, signUpEnabled } from '../../tenants/settings.js';
import { brandingOf, layout, markup, type PageContext } from './layout.js';

export interface HomeLink {
  section: 'account' | 'developers';
  /** Under the tenant's base path. */
  path: string;
  label: string;
  /** How the link looks in the account section: a button, or a plain link under them. */
  style?: 'primary' | 'secondary';
}

/**
 * Only pages that exist: a link here must never lead to a 404 (test/oauth/home-page.test.ts follows each one).
 * The API reference (/docs) is served once, at the root, so it is not a per-tenant link; the self-service
 * account page (/account) belongs here once it exists.
 */
export const HOME_LINKS: readonly HomeLink[] = [
  { section: 'account', path: '/login', label: 'Sign in', style: 'primary' },
  { section: 'account', path: '/register', label: 'Create an account', style: 'secondary' },
  { section: 'account', path: '/forgot', label: 'Forgot your password?' },
  { section: 'account', path: '/account', label: 'Manage your account' },
  {
    section: 'developers',
    path: '/.well-known/openid-configuration',
    label: 'OpenID Connect discovery document',
  },
  { section: 'developers', path: '/.well-known/jwks.json', label: 'Token signing keys (JWKS)' },
];

export function homePage(ctx: PageContext, v: { issuer: string; adminApiBase: string }): string {
  const name = brandingOf(ctx.tenant).name;
  const href = (l: HomeLink) => `${ctx.basePath}${l.path}`;
  // No link to a page the tenant turned off (sign-up, settings.sign_up; passwords, settings.sign_in).
  const passwords = passwordSignInEnabled(ctx.tenant);
  const off = new Set([
    ...(passwords && signUpEnabled(ctx.tenant) ? [] : ['/register']),
    ...(passwords ? [] : ['/forgot']),
  ]);
  const account = HOME_LINKS.filter((l) => l.section === 'account' && !off.has(l.path));
  const buttons = account
    .filter((l) => l.style)
    .map(
      (l) =>
        markup`<a class="${l.style === 'primary' ? 'button' : 'button secondary'}" href="${href(l)}">${l.label}</a>`,
    );
  const plain = account.filter((l) => !l.style).map((l) => markup`<a href="${href(l)}">${l.label}</a>`);
  const developerLinks = HOME_LINKS.filter((l) => l.section === 'developers').map(
    (l) => markup`<li><a href="${href(l)}">${l.label}</a></li>`,
  );
  const slug = ctx.tenant.slug;
  const cli = `hellojohn clients create --tenant ${slug} \\
  --name 'My app' --type confidential \\
  --redirect-uri https://app.example.com/callback`;
  const api = `curl -X POST ${v.adminApiBase}/v2/admin/tenants/${slug}/clients \\
  -H "Authorization: Bearer $ADMIN_TOKEN" \\
  -H 'Content-Type: application/json' \\
  -d '{"name": "My app", "type": "confidential",
       "redirect_uris": ["https://app.example.com/callback"]}'`;

  const content = markup`<p class="intro">This is the sign-in service of ${name}. Applications send you here to sign in, so they never see your password.</p>
<div class="actions">${buttons}</div>
<p class="links">${plain}</p>
<h2 class="section">For developers</h2>
<p>An OpenID Connect provider, run with HelloJohn. Its issuer:</p>
<p><code class="value">${v.issuer}</code></p>
<ul class="linklist">${developerLinks}</ul>
<h2>Create your first client</h2>
<p>On the server, with the command line (it prints the client id, and the secret once):</p>
<pre><code>${cli}</code></pre>
<p>Or with the admin API, using a token from <code>hellojohn admin create</code>:</p>
<pre><code>${api}</code></pre>
<p class="muted">Then point your application at the issuer above: it reads everything else from the discovery document.</p>`;
  return layout(ctx.tenant, 'Welcome', content, { wide: true });
}
