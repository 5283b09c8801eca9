// The MFA card of the account page ("Two-step sign-in") and the pages of its steps (set up an
// authenticator app, email codes, a phone number; recovery codes, shown once), as pure functions from data
// to HTML. Every form posts to /account/mfa/… with the CSRF token (pages.ts, codes/pages.ts).
import {
  alertBox,
  brandingOf,
  card,
  hidden,
  layout,
  markup,
  noticeBox,
  timeAgo,
  type Html,
  type PageContext,
} from '../../http/views/layout.js';
import { enrollmentBlock } from '../../http/views/pages.js';
import type { Enrollment } from '../../kernel/authentication.js';
import type { AccountSectionArgs } from '../../kernel/module.js';
import type { FactorRecord } from './factors.js';
import { RECOVERY_CODE_COUNT } from './recovery-codes.js';

export const SECTION_ID = 'mfa';
export const SECTION_TITLE = 'Two-step sign-in';

/** The factors the account page sets up, in the order it offers them. */
export const PAGE_FACTORS = ['totp', 'email', 'sms'] as const;
export type PageFactor = (typeof PAGE_FACTORS)[number];

export interface MfaSectionView {
  /** The user's factors, recovery codes included. */
  factors: readonly FactorRecord[];
  preferred: string | null;
  /** What the user may set up here now: allowed by the tenant, offered by this build, not set up yet. */
  canSetUp: readonly PageFactor[];
  /** The tenant's policy asks for no second step at sign-in. */
  policyOff: boolean;
  /** A form's refusal, shown in the card. */
  error?: string;
  now: Date;
}

const RECOVERY = 'recovery_code';

/** What each kind of factor is, in a line under its name. */
const ABOUT: Readonly<Record<string, (args: AccountSectionArgs) => string>> = {
  totp: () => 'Codes from an app on your phone',
  email: (args) => `Codes sent to ${args.user.email}`,
  sms: () => 'Codes texted to your phone',
};

const OFFERS: Readonly<
  Record<PageFactor, { name: string; about: (args: AccountSectionArgs) => string; button: string }>
> = {
  totp: {
    name: 'Authenticator app',
    about: () => 'Google Authenticator, Microsoft Authenticator, 1Password or any other app',
    button: 'Set up',
  },
  email: { name: 'Email codes', about: (args) => `A code sent to ${args.user.email}`, button: 'Turn on' },
  sms: { name: 'Text message', about: () => 'A code texted to your mobile phone', button: 'Add a phone' },
};

/** The card on the account page: the user's methods, how to add one, recovery codes. */
export function mfaSection(args: AccountSectionArgs, v: MfaSectionView): Html {
  const primary = v.factors.filter((f) => f.type !== RECOVERY);
  const recovery = v.factors.find((f) => f.type === RECOVERY);
  const on = primary.length > 0;
  // An account without a password (a provider, a passkey, an emailed link) is not told about one.
  const password = args.hasPassword;
  const state = on
    ? markup`<p class="state"><span class="badge ok">On</span> ${password ? 'After your password' : 'After you sign in'}, you confirm it’s you with one of these.</p>`
    : markup`<p class="state"><span class="badge warn">Off</span> ${password ? 'You sign in with your password only.' : 'You sign in in one step only.'}</p>`;
  const policy = v.policyOff
    ? markup`<p class="muted">This organisation doesn’t ask for a second step at every sign-in, but apps that need more assurance may.</p>`
    : '';
  const rows = [
    ...primary.map((f, i) => factorRow(args, v, f, i, primary.length)),
    ...(on || recovery ? [recoveryRow(args, v, recovery)] : []),
  ];
  const list = rows.length > 0 ? markup`<ul class="rows wrap" id="mfa-methods">${rows}</ul>` : '';
  const lead = password
    ? 'A second step after your password keeps your account safe, even if someone learns your password.'
    : 'A second step when you sign in keeps your account safe, even if someone gets into your email.';
  return markup`<p class="lead">${lead}</p>
${state}${policy}${alertBox(v.error)}${list}${addMethods(args, v)}`;
}

function factorRow(
  args: AccountSectionArgs,
  v: MfaSectionView,
  f: FactorRecord,
  i: number,
  count: number,
): Html {
  const label = `mfa-factor-${String(i)}`;
  const preferred = count > 1 && f.type === v.preferred;
  const about = ABOUT[f.type]?.(args);
  const used = f.lastUsedAt ? markup`Last used ${timeAgo(f.lastUsedAt, v.now)}` : 'Not used yet';
  const makePreferred =
    count > 1 && !preferred
      ? sectionForm(
          args,
          '/preferred',
          markup`${hidden('factor', f.type)}<button type="submit" class="secondary small" aria-describedby="${label}">Make preferred</button>`,
        )
      : '';
  const remove = args.recentSignIn
    ? sectionForm(
        args,
        '/remove',
        markup`${hidden('factor_id', f.id)}<button type="submit" class="secondary small" aria-describedby="${label}">Remove</button>`,
      )
    : '';
  return markup`<li><div class="what" id="${label}"><strong>${f.label}</strong>${preferred ? markup`<span class="badge here">Preferred</span>` : ''}
<p class="muted">${about ? markup`${about}<br>` : ''}Added ${timeAgo(f.createdAt, v.now)} · ${used}</p></div>${rowActions([makePreferred, remove])}</li>`;
}

function recoveryRow(args: AccountSectionArgs, v: MfaSectionView, f: FactorRecord | undefined): Html {
  const left = f?.remaining ?? 0;
  const few = f !== undefined && left <= 2;
  const state = f
    ? markup`${String(left)} of ${String(RECOVERY_CODE_COUNT)} left · Created ${timeAgo(f.createdAt, v.now)}`
    : 'None yet';
  const create = args.recentSignIn
    ? sectionForm(
        args,
        '/recovery-codes',
        markup`<button type="submit" class="secondary small" aria-describedby="mfa-recovery">${f ? 'Generate new codes' : 'Create codes'}</button>`,
      )
    : '';
  return markup`<li><div class="what" id="mfa-recovery"><strong>Recovery codes</strong>${few ? markup`<span class="badge warn">${left === 0 ? 'None left' : 'Running low'}</span>` : ''}
<p class="muted">For when you can’t use your other methods<br>${state}</p></div>${rowActions([create])}</li>`;
}

function addMethods(args: AccountSectionArgs, v: MfaSectionView): Html | '' {
  if (!args.recentSignIn)
    return markup`<div class="card-foot"><p class="muted">To add or remove a method, confirm it’s you by signing in again.</p>
<div class="actions"><a class="button secondary" href="${args.reauthenticateHref}">Confirm it’s you</a></div></div>`;
  if (v.canSetUp.length === 0) return '';
  const offers = v.canSetUp.map((id) => {
    const o = OFFERS[id];
    const label = `mfa-add-${id}`;
    const what = markup`<div class="what" id="${label}"><strong>${o.name}</strong><p class="muted">${o.about(args)}</p></div>`;
    // The phone number is asked on a page of its own (GET); the others start at once (POST).
    const button =
      id === 'sms'
        ? markup`<a class="button secondary small" href="${args.page.basePath}/account/mfa/phone" aria-describedby="${label}">${o.button}</a>`
        : sectionForm(
            args,
            id === 'totp' ? '/totp' : '/email',
            markup`<button type="submit" class="secondary small" aria-describedby="${label}">${o.button}</button>`,
          );
    return markup`<li>${what}${button}</li>`;
  });
  const heading = v.factors.some((f) => f.type !== RECOVERY) ? 'Add another method' : 'Choose a method';
  return markup`<div class="card-foot"><h3>${heading}</h3><ul class="rows wrap" id="mfa-offers">${offers}</ul></div>`;
}

function rowActions(actions: readonly (Html | '')[]): Html | '' {
  const present = actions.filter((a) => a !== '');
  return present.length > 0 ? markup`<div class="row-actions">${present}</div>` : '';
}

function sectionForm(args: AccountSectionArgs, path: string, fields: Html): Html {
  return mfaForm(args.page, path, fields);
}

function mfaForm(ctx: PageContext, path: string, fields: Html): Html {
  return markup`<form method="post" action="${ctx.basePath}/account/mfa${path}">${hidden('csrf_token', ctx.csrfToken)}${fields}</form>`;
}

// --- the steps, each a page of its own: a card under "Your account", a way back ---------------------------

/**
 * A step's page: its card under "Two-step sign-in", with the way back to the account page. The MFA card
 * itself (a refusal shown with the user's methods) goes under "Your account".
 */
export function mfaStepPage(ctx: PageContext, title: string, body: Html): string {
  const back = markup`<p class="topbar intro"><a href="${ctx.basePath}/account#${SECTION_ID}">← Back to your account</a></p>`;
  const heading = title === SECTION_TITLE ? 'Your account' : SECTION_TITLE;
  return layout(ctx.tenant, heading, markup`${back}${card(SECTION_ID, title, body)}`, { cards: true });
}

function codeField(label: string, hint?: string): Html {
  const described = hint ? markup` aria-describedby="code-hint"` : '';
  return markup`<div class="field"><label for="code">${label}</label><input id="code" name="code" type="text" class="code" inputmode="numeric" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" maxlength="32" required autofocus${described}>${hint ? markup`<p class="hint-line" id="code-hint">${hint}</p>` : ''}</div>`;
}

function submitOrCancel(ctx: PageContext, submit: string): Html {
  return markup`<div class="actions"><button type="submit">${submit}</button><a class="button secondary" href="${ctx.basePath}/account#${SECTION_ID}">Cancel</a></div>`;
}

/** Resend, start again…: a one-button form, as a line of text. */
function againLine(ctx: PageContext, text: string, path: string, button: string, fields?: Html): Html {
  return mfaForm(
    ctx,
    path,
    markup`${fields ?? ''}<p class="muted again">${text} <button type="submit" class="link">${button}</button></p>`,
  );
}

/** Setting up an authenticator app: the QR code and key (shown once), then its first code. */
export function totpSetupCard(ctx: PageContext, v: { enrollment?: Enrollment; error?: string }): Html {
  const confirm = mfaForm(
    ctx,
    '/totp/confirm',
    markup`${codeField('Code from the app')}${submitOrCancel(ctx, 'Turn on')}`,
  );
  if (!v.enrollment)
    // After a wrong code the QR code is not shown again: it would be a new secret, a new scan.
    return markup`<p class="lead">Enter the code your authenticator app shows for this account.</p>
${alertBox(v.error)}${confirm}
${againLine(ctx, 'Lost the QR code?', '/totp', 'Start again with a new one')}`;
  return markup`<p class="lead">Use an authenticator app such as Google Authenticator, Microsoft Authenticator or 1Password.</p>
<ol class="steps"><li><strong>Scan this QR code</strong> with the app, or enter the key by hand.${enrollmentBlock(v.enrollment)}</li>
<li><strong>Enter the code</strong> the app shows for this account.</li></ol>
${alertBox(v.error)}${confirm}`;
}

/** Turning email codes on: the code just mailed (`sent`) to the account's address. */
export function emailSetupCard(ctx: PageContext, v: { email: string; sent?: boolean; error?: string }): Html {
  const sent = v.sent ? noticeBox(`We sent a code to ${v.email}.`) : '';
  return markup`<p class="lead">Each time you sign in, we’ll email you a code to enter after your password.</p>
${sent}${alertBox(v.error)}${mfaForm(ctx, '/email/confirm', markup`${codeField('Code from the email', 'It expires in a few minutes; check your spam folder if it isn’t there.')}${submitOrCancel(ctx, 'Turn on email codes')}`)}
${againLine(ctx, 'Didn’t get it?', '/email', 'Send a new code')}`;
}

/** Adding a phone number: the number first. */
export function phoneNumberCard(ctx: PageContext, v: { phoneNumber?: string; error?: string }): Html {
  const field = markup`<div class="field"><label for="phone_number">Mobile number</label><input id="phone_number" name="phone_number" type="tel" inputmode="tel" autocomplete="tel" maxlength="64" required autofocus aria-describedby="phone-hint" value="${v.phoneNumber ?? ''}"><p class="hint-line" id="phone-hint">With the country code, for example +1 415 555 0123.</p></div>`;
  return markup`<p class="lead">Each time you sign in, we’ll text a code to this number for you to enter after your password.</p>
${alertBox(v.error)}${mfaForm(ctx, '/phone', markup`${field}${submitOrCancel(ctx, 'Send code')}`)}`;
}

/** Adding a phone number: the code texted to it. */
export function phoneCodeCard(
  ctx: PageContext,
  v: { sentTo?: string; phoneNumber?: string; error?: string },
): Html {
  const sent = v.sentTo
    ? markup`<p role="status" class="notice">We texted a code to <strong class="nowrap">${v.sentTo}</strong>.</p>`
    : '';
  const again = v.phoneNumber
    ? againLine(ctx, 'Didn’t get it?', '/phone', 'Send a new code', hidden('phone_number', v.phoneNumber))
    : '';
  return markup`<p class="lead">Enter the code to confirm this number. You’ll get a code like it each time you sign in.</p>
${sent}${alertBox(v.error)}${mfaForm(ctx, '/phone/confirm', markup`${codeField('Code from the text message')}${submitOrCancel(ctx, 'Confirm number')}`)}
${again}<p class="muted again"><a href="${ctx.basePath}/account/mfa/phone">Use another number</a></p>`;
}

/**
 * New recovery codes, shown this once (the page answers the form that made them; nothing keeps them).
 * `confirmation`: the factor that came with them ("Your authenticator app is set up."); without it, they
 * replace the earlier ones.
 */
export function recoveryCodesCard(
  ctx: PageContext,
  v: { codes: readonly string[]; email: string; confirmation?: string; doneHref: string },
): Html {
  const text = [
    `Recovery codes for ${v.email} (${brandingOf(ctx.tenant).name})`,
    'Each code signs you in once, when you cannot use your other methods.',
    '',
    ...v.codes,
    '',
  ].join('\n');
  const download = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
  const replaced = v.confirmation ? '' : ' Any earlier codes no longer work.';
  return markup`${noticeBox(v.confirmation)}<p class="lead">If you lose your phone or can’t get a code, each of these codes signs you in once. Keep them somewhere safe, such as a password manager.</p>
<p class="warning"><strong>You won’t see these codes again.</strong>${replaced}</p>
<ol class="codes" aria-label="Recovery codes">${v.codes.map((c) => markup`<li><code>${c}</code></li>`)}</ol>
<div class="actions"><a class="button" href="${v.doneHref}">I’ve saved my codes</a><a class="button secondary" href="${download}" download="recovery-codes.txt">Download</a></div>`;
}
