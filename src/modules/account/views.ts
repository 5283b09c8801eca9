// The account page as a pure function from data to HTML: a column of cards (profile, password, sessions,
// then the sections other modules add). Every form posts to /account/... with the CSRF token.
import {
  alertBox,
  card,
  hidden,
  layout,
  markup,
  noticeBox,
  timeAgo,
  type Html,
  type PageContext,
} from '../../http/views/layout.js';
import type { AccountOverview, AccountSession } from './service.js';

/** The core cards' ids: a message (a form's error, a confirmation) is shown in one of them. */
export type CoreCard = 'profile' | 'password' | 'sessions';

export interface AccountPageView {
  account: AccountOverview;
  /** The new-password field's hints (the tenant's password policy). */
  passwordHints: string[];
  /** Where "Confirm it’s you" goes: sign in again, back to the account page. */
  reauthenticateHref: string;
  /** The modules' cards, already rendered, each with its own confirmation (after a 303 from its form). */
  sections: readonly { id: string; title: string; body: Html; notice?: string }[];
  /** A confirmation at the top (after a 303 from a core card's form). */
  notice?: string;
  /** A form's error, in its card, with the values to keep in the form. */
  error?: { card: CoreCard; message: string };
  name?: string;
  now: Date;
  /** The sections' scripts (our origin), loaded once each. */
  scripts?: readonly string[];
}

export function accountPage(ctx: PageContext, v: AccountPageView): string {
  const { user } = v.account;
  const signOut = markup`<form method="post" action="${ctx.basePath}/logout">${hidden('csrf_token', ctx.csrfToken)}<button type="submit" name="decision" value="logout" class="secondary small">Sign out</button></form>`;
  const content = markup`<div class="topbar intro"><span>Signed in as <strong>${user.email}</strong></span>${signOut}</div>
${noticeBox(v.notice)}
${profileCard(ctx, v)}
${passwordCard(ctx, v)}
${sessionsCard(ctx, v)}
${v.sections.map((s) => card(s.id, s.title, markup`${noticeBox(s.notice)}${s.body}`))}`;
  return layout(ctx.tenant, 'Your account', content, { cards: true, scripts: v.scripts });
}

const errorIn = (v: AccountPageView, name: CoreCard) =>
  alertBox(v.error?.card === name ? v.error.message : undefined);

function accountForm(ctx: PageContext, path: string, fields: Html): Html {
  return markup`<form method="post" action="${ctx.basePath}/account${path}">${hidden('csrf_token', ctx.csrfToken)}
${fields}
</form>`;
}

function profileCard(ctx: PageContext, v: AccountPageView): Html {
  const { user } = v.account;
  const verified = user.emailVerified
    ? markup`<span class="badge ok">Verified</span>`
    : markup`<span class="badge warn">Not verified</span>`;
  const fields = markup`<div class="field"><label for="name">Name</label><input id="name" name="name" type="text" autocomplete="name" maxlength="200" value="${v.name ?? user.name ?? ''}"></div>
<div class="field"><label for="email">Email address</label><input id="email" type="email" value="${user.email}" readonly aria-describedby="email-state"><p class="hint-line" id="email-state">${verified} You sign in with this address.</p></div>
<div class="actions"><button type="submit">Save</button></div>`;
  return card(
    'profile',
    'Profile',
    markup`<p class="lead">How you appear in the apps you use.</p>
${errorIn(v, 'profile')}${accountForm(ctx, '/profile', fields)}`,
  );
}

function passwordCard(ctx: PageContext, v: AccountPageView): Html {
  // An account made without a password (social, passkey) sets its first one: no current password to ask.
  const first = !v.account.hasPassword;
  const lead = first
    ? markup`<p class="lead">You sign in without a password. Set one to sign in with your email address and a password, too.</p>`
    : markup`<p class="lead">Changing your password signs you out everywhere else.</p>`;
  const title = first ? 'Set a password' : 'Password';
  if (!v.account.recentSignIn)
    return card(
      'password',
      title,
      markup`${lead}${errorIn(v, 'password')}
<p class="muted">To keep your account safe, confirm it’s you by signing in again before you ${first ? 'set' : 'change'} your password.</p>
<div class="actions"><a class="button secondary" href="${v.reauthenticateHref}">Confirm it’s you</a></div>`,
    );
  const hints = markup`<ul class="hint" id="password-hints">${v.passwordHints.map((h) => markup`<li>${h}</li>`)}</ul>`;
  const current = first
    ? markup``
    : markup`<div class="field"><label for="current_password">Current password</label><input id="current_password" name="current_password" type="password" autocomplete="current-password" required></div>
`;
  const fields = markup`${current}<div class="field"><label for="new_password">${first ? 'Password' : 'New password'}</label><input id="new_password" name="new_password" type="password" autocomplete="new-password" required aria-describedby="password-hints">${hints}</div>
<div class="field"><label for="confirm">Repeat the ${first ? 'password' : 'new password'}</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></div>
<div class="actions"><button type="submit">${first ? 'Set password' : 'Change password'}</button></div>`;
  return card(
    'password',
    title,
    markup`${lead}${errorIn(v, 'password')}${accountForm(ctx, '/password', fields)}`,
  );
}

function sessionsCard(ctx: PageContext, v: AccountPageView): Html {
  const others = v.account.sessions.filter((s) => !s.current).length;
  const rows = v.account.sessions.map((s, i) => sessionRow(ctx, s, i, v.now));
  const signOutOthers =
    others > 0
      ? markup`<div class="card-foot">${accountForm(
          ctx,
          '/sessions/sign-out-others',
          markup`<div class="actions"><button type="submit" class="secondary">Sign out of all other sessions</button></div>`,
        )}</div>`
      : '';
  return card(
    'sessions',
    'Where you\u2019re signed in',
    markup`<p class="lead">Sign out of any session you don't recognise${v.account.hasPassword ? ', then change your password' : ''}.</p>
${errorIn(v, 'sessions')}<ul class="rows">${rows}</ul>${signOutOthers}`,
  );
}

function sessionRow(ctx: PageContext, s: AccountSession, i: number, now: Date): Html {
  const label = `session-${String(i)}`;
  const where = [s.ip, s.clientId ? `app ${s.clientId}` : null].filter(Boolean).join(' · ');
  const action = s.current
    ? ''
    : accountForm(
        ctx,
        '/sessions/sign-out',
        markup`${hidden('session_id', s.id)}<button type="submit" class="secondary small" aria-describedby="${label}">Sign out</button>`,
      );
  return markup`<li><div class="what" id="${label}"><strong>${s.device}</strong>${s.current ? markup`<span class="badge here">This device</span>` : ''}
<p class="muted">${where ? markup`${where}<br>` : ''}Signed in ${timeAgo(s.createdAt, now)} · Last active ${timeAgo(s.lastSeenAt, now)}</p></div>${action}</li>`;
}
