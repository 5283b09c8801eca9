// The "Passkeys" card of the account page: the user's passkeys (name, when added and last used, synced
// or on one device), rename and delete each, and add one. Adding needs JavaScript and a browser with
// passkeys: that form is hidden until /assets/passkeys.js shows it. And the page after a sign-up that
// offers to add one ("Sign in faster next time").
import {
  alertBox,
  brandingOf,
  hidden,
  layout,
  markup,
  timeAgo,
  type Html,
  type PageContext,
} from '../../http/views/layout.js';
import type { AccountSectionArgs } from '../../kernel/module.js';
import { PASSKEY_SCRIPTS } from './scripts.js';
import { MAX_NAME, type PasskeyView } from './service.js';

export function passkeysCard(
  args: AccountSectionArgs,
  passkeys: readonly PasskeyView[],
  now: Date,
  offered: boolean,
): Html {
  const { page } = args;
  const form = (path: string, fields: Html, extra: Html | '' = '') =>
    markup`<form method="post" action="${page.basePath}/account/passkeys${path}"${extra}>${hidden('csrf_token', page.csrfToken)}
${fields}
</form>`;
  const rows = passkeys.map((p, i) => {
    const label = `passkey-${String(i)}`;
    const kind = p.backupEligible
      ? markup`<span class="badge ok">Synced</span>`
      : markup`<span class="badge">This device only</span>`;
    const used = p.lastUsedAt ? markup`Last used ${timeAgo(p.lastUsedAt, now)}` : 'Not used yet';
    const remove = args.recentSignIn
      ? form(
          '/delete',
          markup`${hidden('passkey_id', p.id)}<button type="submit" class="secondary small" aria-describedby="${label}">Delete</button>`,
        )
      : '';
    const rename = markup`<details class="rename"><summary>Rename</summary>${form(
      '/rename',
      markup`${hidden('passkey_id', p.id)}<div class="field"><label for="${label}-name">New name</label><input id="${label}-name" name="name" type="text" maxlength="${String(MAX_NAME)}" required value="${p.name}"></div>
<div class="actions"><button type="submit" class="small">Save</button></div>`,
    )}</details>`;
    return markup`<li><div class="what" id="${label}"><strong>${p.name}</strong>${kind}
<p class="muted">Added ${timeAgo(p.createdAt, now)} · ${used}</p>${rename}</div>${remove}</li>`;
  });
  const list =
    passkeys.length > 0
      ? markup`<ul class="rows">${rows}</ul>`
      : markup`<p class="muted">You have no passkeys yet.</p>`;
  // Turned off for the tenant: nothing to add; passkeys already there are kept (and can be deleted).
  if (!offered)
    return passkeys.length > 0
      ? markup`<p class="lead">Passkeys are turned off here for now. Your passkeys below are kept, but you can’t sign in with them until they’re turned back on: use your password or another way.</p>
${list}`
      : markup`<p class="lead">Passkeys aren’t offered here.</p>`;
  const add = args.recentSignIn
    ? markup`<div class="card-foot">${form(
        '',
        markup`<div class="field"><label for="passkey-name">Name the new passkey <span class="muted">(optional)</span></label><input id="passkey-name" name="name" type="text" maxlength="${String(MAX_NAME)}" placeholder="e.g. Work laptop"></div>
<div class="actions"><button type="submit">Add a passkey</button></div>`,
        markup` id="passkey-add" data-options="${page.basePath}/account/passkeys/options" hidden`,
      )}<p class="muted" id="passkey-add-unsupported">Adding a passkey needs JavaScript and a browser that supports passkeys.</p></div>`
    : markup`<div class="card-foot"><p class="muted">To add or delete a passkey, confirm it’s you first.</p>
<div class="actions"><a class="button secondary" href="${args.reauthenticateHref}">Confirm it’s you</a></div></div>`;
  return markup`<p class="lead">Sign in with your fingerprint, face or screen lock instead of a password. Passkeys can’t be phished or reused.</p>
${list}${add}`;
}

/** The "add a passkey" offer of the page after a sign-up: where it continues, and a failure to show. */
export interface SignUpPasskeyView {
  /** The authorization in progress, carried by the forms. */
  interaction?: string;
  returnTo?: string;
  /** "Not now", and where a browser without JavaScript or passkeys goes at once. */
  skipHref: string;
  error?: string;
}

/** A passkey, drawn: a key in a rounded square of the tenant's colour (aria-hidden: the heading says it). */
const KEY_ICON = markup`<div class="passkey-icon" aria-hidden="true"><svg viewBox="0 0 24 24" width="32" height="32" fill="none" stroke="currentColor" stroke-width="1.75" stroke-linecap="round" stroke-linejoin="round"><circle cx="8" cy="15" r="4"/><path d="M10.85 12.15 19 4"/><path d="m18 5 2 2"/><path d="m15 8 2 2"/></svg></div>`;

const SIGN_UP_STYLE = markup`<style>.passkey-icon{display:flex;justify-content:center;margin:-.25rem 0 1.25rem}.passkey-icon svg{box-sizing:content-box;width:36px;height:36px;padding:.875rem;border-radius:16px;color:var(--primary);background:color-mix(in srgb,var(--primary) 12%,#fff)}.after-sign-up .intro{margin-bottom:1.5rem}.after-sign-up .actions{margin-top:0}.after-sign-up form+.actions{margin-top:.625rem}.after-sign-up .muted{text-align:center;margin:1.25rem 0 0}</style>`;

/**
 * Right after a sign-up: add a passkey, or not now. The add form is hidden until /assets/passkeys.js
 * shows it; a browser without passkeys is sent on by the script, one without JavaScript by the refresh.
 */
export function signUpPasskeyPage(ctx: PageContext, v: SignUpPasskeyView): string {
  const carried = [
    v.interaction ? hidden('interaction', v.interaction) : '',
    v.returnTo ? hidden('return_to', v.returnTo) : '',
  ];
  const content = markup`${SIGN_UP_STYLE}<noscript><meta http-equiv="refresh" content="0; url=${v.skipHref}"></noscript>
<div class="after-sign-up">
${KEY_ICON}
<p class="intro">Use your fingerprint, face or screen lock to sign in to ${brandingOf(ctx.tenant).name}: no password to type. Passkeys can’t be phished or reused.</p>
${alertBox(v.error)}
<form method="post" action="${ctx.basePath}/signup/passkey" id="passkey-add" data-options="${ctx.basePath}/account/passkeys/options" data-failed="No passkey was added. Try again, or choose Not now." hidden>
${hidden('csrf_token', ctx.csrfToken)}${carried}
<div class="actions"><button type="submit">Add a passkey</button></div>
</form>
<div class="actions"><a class="button secondary" id="passkey-sign-up-skip" href="${v.skipHref}">Not now</a></div>
<p class="muted">You can add one later on your account page.</p>
</div>`;
  return layout(ctx.tenant, 'Sign in faster next time', content, {
    scripts: PASSKEY_SCRIPTS.map((path) => `${ctx.basePath}${path}`),
  });
}
