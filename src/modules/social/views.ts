// What social sign-in shows: the buttons above the sign-in form (through PageContributions.signInPage),
// the "Connected accounts" card of the account page, and the pages a failed sign-in ends on.
import type { UserIdentity } from '../../kernel/authentication.js';
import { form, hidden, markup, type Html, type PageContext } from '../../http/views/layout.js';
import type { LoginButton } from '../../http/views/pages.js';
import { PROVIDERS, type ProviderKind } from './providers.js';
import type { EnabledProvider } from './service.js';

export function loginButtons(providers: readonly EnabledProvider[]): LoginButton[] {
  // Many providers share the card's width (two a row): the name alone; one or two: the whole phrase.
  const short = providers.length > 2;
  return providers.map((p) => {
    const brand = PROVIDERS[p.kind].brand;
    return {
      id: `social-${p.id}`,
      href: `/v2/auth/social/${p.id}/start`,
      label: short ? p.label : `Continue with ${p.label}`,
      icon: brand.icon,
      colors: brand.colors,
    };
  });
}

/** Confirmations of the account page, by `?notice=`. */
export const ACCOUNT_NOTICES = {
  social_linked: 'Connected. You can now sign in with it.',
  social_unlinked: 'Disconnected. It no longer signs you in.',
  social_last_identity:
    'That is the only way to sign in to your account: add a password or connect another account before disconnecting it.',
} as const;

/** The "Connected accounts" card: each provider the tenant offers or the user has, connect or disconnect. */
export function connectedAccountsCard(
  page: PageContext,
  v: {
    providers: readonly EnabledProvider[];
    /** The user's social identities. */
    linked: readonly UserIdentity[];
    /** Every way the user can sign in (a last one cannot be disconnected). */
    total: number;
    recentSignIn: boolean;
    reauthenticateHref: string;
  },
): Html {
  const offered = new Map(v.providers.map((p) => [p.id, p]));
  const ids = [...new Set([...v.providers.map((p) => p.id), ...v.linked.map((i) => i.method)])];
  if (ids.length === 0) return markup`<p class="muted">No sign-in providers are available.</p>`;
  const rows = ids.map((id) => {
    const provider = offered.get(id);
    const identity = v.linked.find((i) => i.method === id);
    const kind = (provider?.kind ?? id) as ProviderKind;
    const icon = PROVIDERS[kind]?.brand.icon ?? PROVIDERS.oidc.brand.icon;
    const label = provider?.label ?? PROVIDERS[kind]?.label ?? id;
    const detail = identity
      ? markup`<p class="muted">${identity.label}</p>`
      : markup`<p class="muted">Not connected</p>`;
    const action = !v.recentSignIn
      ? ''
      : identity
        ? v.total > 1
          ? form(
              page,
              `${page.basePath}/account/social/unlink`,
              undefined,
              markup`${hidden('provider', id)}<button type="submit" class="secondary small">Disconnect</button>`,
            )
          : markup`<span class="badge">Only way to sign in</span>`
        : provider
          ? form(
              page,
              `${page.basePath}/account/social/link`,
              undefined,
              markup`${hidden('provider', id)}<button type="submit" class="secondary small">Connect</button>`,
            )
          : '';
    return markup`<li><div class="what"><strong><span class="mark" aria-hidden="true">${icon}</span> ${label}</strong>${identity ? markup`<span class="badge ok">Connected</span>` : ''}${detail}</div>${action}</li>`;
  });
  const confirm = v.recentSignIn
    ? ''
    : markup`<p class="card-foot muted">To connect or disconnect an account, <a href="${v.reauthenticateHref}">confirm it’s you</a> first.</p>`;
  return markup`<p class="lead">Sign in with an account you already have elsewhere.</p>
<ul class="rows">${rows}</ul>${confirm}`;
}
