// The "Passkeys" card of the account page: the user's passkeys (name, when added and last used, synced
// or on one device), rename and delete each, and add one. Adding needs JavaScript and a browser with
// passkeys: that form is hidden until /assets/passkeys.js shows it.
import { hidden, markup, timeAgo, type Html } from '../../http/views/layout.js';
import type { AccountSectionArgs } from '../../kernel/module.js';
import { MAX_NAME, type PasskeyView } from './service.js';

export function passkeysCard(args: AccountSectionArgs, passkeys: readonly PasskeyView[], now: Date): Html {
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
