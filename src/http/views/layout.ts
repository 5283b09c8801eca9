// The frame of every hosted page and the helpers the pages are built from. Pure functions: no Fastify, no I/O.
//
// Escaping: pages are written with the `markup` tag below, which passes every interpolated value through
// escapeHtml (src/mail/templates.ts, the one escaper) unless it is an `Html` value made by the tag itself.
// So nothing reaches the markup unescaped by accident: tenant names, emails, errors, client names and the
// tenant's branding settings are all untrusted.
// (The tag is deliberately not called `html`: Prettier would reformat such templates, whitespace and all.)
import { escapeHtml } from '../../mail/templates.js';
import type { Tenant } from '../../tenants/tenants.js';
import { checkCustomCss } from '../../tenants/branding-css.js';

export interface PageContext {
  tenant: Tenant;
  csrfToken: string;
  /** base path for links: '' for default tenant, '/t/acme' otherwise */
  basePath: string;
}

/** Markup that is already safe: made by the `markup` tag (or `trustedHtml`), never from raw input. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolated = Html | string | number | boolean | null | undefined | readonly Interpolated[];

/** Template tag: escapes every interpolated value except `Html`; arrays are joined, null/undefined/false vanish. */
export function markup(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: Interpolated): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return (value as readonly Interpolated[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Marks a constant string as markup. Only for literals in this directory, never for input. */
export function trustedHtml(text: string): Html {
  return new Html(text);
}

// ---------------------------------------------------------------------------------------------------------
// Branding: tenant.settings.branding is JSON an admin typed in. Every key is optional and checked; a value that
// fails its check is ignored (the default is used), never rendered.

export interface Branding {
  /** The name shown on the pages: branding.display_name, else the tenant's name. */
  name: string;
  /** A checked absolute https: URL, or undefined. */
  logoUrl?: string;
  /** The button colour (#rgb or #rrggbb), or undefined for the default. */
  primaryColor?: string;
  /** The page background behind the card (#rgb or #rrggbb), or undefined for the default. */
  backgroundColor?: string;
  /** The tenant's custom CSS, as checkCustomCss wrote it out (the safe subset), or undefined. */
  customCss?: string;
}

export const DEFAULT_PRODUCT_NAME = 'HelloJohn';
const COLOR = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/;
const MAX_LOGO_URL = 2000;
const MAX_DISPLAY_NAME = 100;

export function brandingOf(tenant: Tenant | null): Branding {
  const fallback = tenant ? oneLine(tenant.name) || tenant.slug : DEFAULT_PRODUCT_NAME;
  const raw = tenant ? tenant.settings['branding'] : undefined;
  const b = isPlainObject(raw) ? raw : {};
  const displayName = typeof b['display_name'] === 'string' ? oneLine(b['display_name']) : '';
  const branding: Branding = {
    name: displayName ? displayName.slice(0, MAX_DISPLAY_NAME) : fallback,
  };
  const logo = checkedLogoUrl(b['logo_url']);
  if (logo) branding.logoUrl = logo;
  if (typeof b['primary_color'] === 'string' && COLOR.test(b['primary_color'])) {
    branding.primaryColor = b['primary_color'];
  }
  if (typeof b['background_color'] === 'string' && COLOR.test(b['background_color'])) {
    branding.backgroundColor = b['background_color'];
  }
  // Checked again here, not only when stored: a row edited by hand must not reach the page.
  const css = typeof b['custom_css'] === 'string' ? checkCustomCss(b['custom_css']) : undefined;
  if (css?.ok && css.css) branding.customCss = css.css;
  return branding;
}

/**
 * An absolute https: URL of at most 2000 characters, without credentials. Only https: (not even http: on
 * localhost): the pages' CSP (`img-src 'self' https: data:`) would make the browser block anything else.
 */
export function checkedLogoUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LOGO_URL) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  return url.protocol === 'https:' && url.href.length <= MAX_LOGO_URL ? url.href : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names go on one line: no control characters or line separators; runs of whitespace collapsed. */
function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029\s]+/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------------------
// Colours. The primary colour is on buttons, with white or black text, whichever contrasts more (at least 4.58:1
// for any colour), and on links when it has at least 4.5:1 contrast against the white card (WCAG AA);
// otherwise links keep the default blue.

const DEFAULT_PRIMARY = '#1d4ed8';

function channels(hex: string): [number, number, number] {
  const h = hex.length === 4 ? [...hex.slice(1)].map((c) => c + c).join('') : hex.slice(1);
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rgb / #rrggbb colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export function paletteOf(primaryColor: string | undefined): {
  primary: string;
  onPrimary: string;
  link: string;
} {
  const primary = primaryColor ?? DEFAULT_PRIMARY;
  const onPrimary = contrast(primary, '#ffffff') >= contrast(primary, '#000000') ? '#ffffff' : '#000000';
  const link = contrast(primary, '#ffffff') >= 4.5 ? primary : DEFAULT_PRIMARY;
  return { primary, onPrimary, link };
}

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{color-scheme:light}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:1.5rem 1rem;background:#f3f4f6;color:#111827;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;min-width:0;max-width:26rem;overflow-wrap:anywhere;background:#fff;border:1px solid #e5e7eb;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.06),0 8px 24px rgba(0,0,0,.06);padding:2rem}
.brand{display:flex;flex-direction:column;align-items:center;gap:.5rem;margin-bottom:1.25rem;text-align:center}
.brand img{max-height:48px;max-width:12rem;object-fit:contain}
.brand-name{margin:0;font-weight:600;color:#374151}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1.25rem;text-align:center}
p{margin:0 0 1rem}
form{margin:0}
.field{margin-bottom:1rem}
label{display:block;font-weight:500;margin-bottom:.25rem}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:500;margin-bottom:.375rem;padding:0}
.choice{display:flex;align-items:center;gap:.5rem;margin:.25rem 0}
.choice label{margin:0;font-weight:400}
.choice input{width:1.125rem;height:1.125rem;margin:0;accent-color:var(--primary)}
input.code{letter-spacing:.2em;font-variant-numeric:tabular-nums}
input[type=email],input[type=password],input[type=text],input[type=tel]{display:block;width:100%;padding:.625rem .75rem;font:inherit;color:inherit;background:#fff;border:1px solid #6b7280;border-radius:8px}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--primary);outline-offset:2px}
button{display:block;width:100%;padding:.7rem 1rem;font:inherit;font-weight:600;border:1px solid var(--primary);border-radius:8px;background:var(--primary);color:var(--on-primary);cursor:pointer}
button.secondary{background:#fff;color:#111827;border-color:#6b7280}
.actions{display:flex;flex-direction:column;gap:.625rem;margin-top:1.25rem}
a{color:var(--link)}
.links{margin:1.25rem 0 0;text-align:center;font-size:.9375rem}
.links a{margin:0 .5rem}
.links.row{display:flex;flex-wrap:wrap;justify-content:center;gap:.375rem 1rem}
.links.row a{margin:0;white-space:nowrap}
.error{color:#b91c1c;background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:.625rem .75rem}
.notice{color:#065f46;background:#ecfdf5;border:1px solid #a7f3d0;border-radius:8px;padding:.625rem .75rem}
.hint{font-size:.875rem;color:#4b5563;margin:.25rem 0 0;padding-left:1.25rem}
.scopes{padding-left:1.25rem}
.scopes li{margin-bottom:.375rem}
.scopes code,.muted code{font-size:.8125rem;color:#4b5563}
.muted{color:#4b5563;font-size:.875rem}
main.wide{max-width:42rem}
button.link{display:inline;width:auto;padding:0;border:0;background:none;color:var(--link);font-weight:400;text-decoration:underline;cursor:pointer}
.account{margin:1.25rem 0 0;padding-top:1rem;border-top:1px solid #e5e7eb;text-align:center;font-size:.9375rem;color:#4b5563}
@media (min-width:36rem){main.wide .actions{flex-direction:row}main.wide .actions>*{flex:1}}
h2.section{border-top:1px solid #e5e7eb;padding-top:1.5rem}
h2{font-size:1.0625rem;line-height:1.4;margin:1.75rem 0 .5rem}
.intro{text-align:center;color:#374151}
a.button{display:block;text-align:center;text-decoration:none;padding:.7rem 1rem;font-weight:600;border:1px solid var(--primary);border-radius:8px;background:var(--primary);color:var(--on-primary)}
a.button.secondary{background:#fff;color:#111827;border-color:#6b7280}
.linklist{margin:0;padding-left:1.25rem}
.linklist li{margin-bottom:.375rem}
.value{display:block;padding:.5rem .75rem;background:#f9fafb;border:1px solid #e5e7eb;border-radius:8px;font-size:.875rem}
.center{text-align:center}
.factor{margin:-.75rem 0 .5rem;text-align:center;font-weight:600;color:#374151}
.qr{display:flex;justify-content:center;margin:0 0 1rem}
.qr img{width:12rem;height:12rem;padding:.5rem;background:#fff;border:1px solid #e5e7eb;border-radius:8px}
details.secret{margin:0 0 1rem;font-size:.9375rem;text-align:center}
details.secret summary{color:var(--link);cursor:pointer}
details.secret code{margin-top:.5rem;font-size:1rem;letter-spacing:.08em;word-spacing:.25em;text-align:center}
.recovery-codes{margin:0 0 1.25rem;font-size:.9375rem}
.recovery-codes ul{display:grid;grid-template-columns:repeat(2,1fr);gap:.25rem .75rem;margin:.5rem 0 0;padding:.625rem .5rem;list-style:none;background:#f9fafb;border:1px solid #e5e7eb;border-radius:8px;text-align:center}
.recovery-codes code{font-size:.875rem;white-space:nowrap;overflow-wrap:normal}
.muted.center{margin:1rem 0 0}
.actions.send{margin:0 0 1.25rem}
.others{margin-top:1.5rem}
.others form+form{margin-top:.625rem}
.others button.link{display:block;margin:1rem auto 0}
.divider{display:flex;align-items:center;gap:.75rem;margin:0 0 1rem;color:#4b5563;font-size:.875rem}
.divider::before,.divider::after{content:"";flex:1;border-top:1px solid #e5e7eb}
.alts{display:grid;gap:.625rem;margin:0 0 1.25rem}
.alts.many{grid-template-columns:repeat(auto-fit,minmax(7.75rem,1fr))}
.alts form{grid-column:1/-1}
a.button.alt,button.alt{display:flex;align-items:center;justify-content:center;gap:.625rem;width:100%;padding:.7rem .75rem;background:#fff;color:#111827;border:1px solid #6b7280;border-radius:8px;font-weight:500}
.mark{display:inline-flex;flex:none;width:1.25rem;height:1.25rem;vertical-align:-.25rem}
.mark svg{width:100%;height:100%}
input[type=checkbox]{accent-color:var(--primary)}
pre{margin:0 0 1rem;padding:.75rem;background:#f9fafb;border:1px solid #e5e7eb;border-radius:8px;overflow-x:auto;overflow-wrap:normal;font-size:.8125rem;line-height:1.5}
[hidden]{display:none!important}
main.cards{align-self:flex-start;max-width:42rem;background:none;border:0;box-shadow:none;padding:0}
main.cards>h1{margin-bottom:.25rem}
main.cards>.intro{margin-bottom:1.25rem}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.06),0 8px 24px rgba(0,0,0,.04);padding:1.5rem;margin:0 0 1rem}
.card>h2{margin:0 0 .25rem;font-size:1.125rem}
.card>.lead{margin:0 0 1.25rem;color:#4b5563;font-size:.9375rem}
.card .actions{margin-top:1rem}
.card .error,.card .notice{margin-bottom:1rem}
input[readonly]{background:#f9fafb;border-color:#d1d5db;color:#374151}
.hint-line{margin:.375rem 0 0;font-size:.875rem;color:#4b5563}
.badge{display:inline-block;font-size:.75rem;font-weight:600;line-height:1.5;padding:0 .5rem;border-radius:999px;background:#e5e7eb;color:#374151;white-space:nowrap}
.badge.ok{background:#d1fae5;color:#065f46}
.badge.here{background:#dbeafe;color:#1e3a8a}
.badge.warn{background:#fef3c7;color:#78350f}
.rows{list-style:none;margin:0;padding:0}
.rows>li{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.875rem 0;border-top:1px solid #e5e7eb}
.rows>li:first-child{border-top:0;padding-top:0}
.rows .what{min-width:0}
.rows .what strong{margin-right:.375rem}
.rows .muted{margin:.125rem 0 0}
.rows form{flex:none}
button.small,a.button.small{width:auto;padding:.375rem .875rem;font-size:.875rem}
.card-foot{margin-top:1rem;padding-top:1rem;border-top:1px solid #e5e7eb}
details.rename{margin-top:.25rem;font-size:.875rem}
details.rename summary{color:var(--link);cursor:pointer;width:max-content}
details.rename form{margin-top:.5rem}
details.rename .actions{margin-top:.5rem}
.topbar{display:flex;align-items:center;justify-content:center;gap:.75rem;flex-wrap:wrap}
.card h3{font-size:1rem;margin:0 0 .5rem}
.state{display:flex;align-items:baseline;gap:.5rem;margin:0 0 1rem}
.row-actions{display:flex;flex:none;flex-wrap:wrap;justify-content:flex-end;gap:.5rem}
.warning{color:#78350f;background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:.625rem .75rem}
.codes{list-style:none;display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem 1rem;margin:0 0 1rem;padding:1rem;background:#f9fafb;border:1px solid #e5e7eb;border-radius:8px;text-align:center}
.codes code{font:600 .9375rem/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
.rows.wrap>li{flex-wrap:wrap;row-gap:.625rem}
.rows.wrap .what{flex:1 1 14rem}
.steps{margin:0 0 1rem;padding-left:1.25rem}
.steps li{margin-bottom:.75rem}
.steps .qr{margin:.75rem 0}
.muted.again{margin:1rem 0 0}
.nowrap{white-space:nowrap}
@media (min-width:36rem){main.cards .card .actions{flex-direction:row;justify-content:flex-end}main.cards .card .actions>*{flex:none;width:auto}.card{padding:1.75rem 2rem}}
`
  .trim()
  .replace(/\n/g, '');

/**
 * The frame of every hosted page. `content` is markup: an `Html` value, or a string the caller vouches for
 * (the contract of the old src/http/pages.ts layout). The title and everything taken from the tenant are
 * escaped here.
 */
export function layout(
  tenant: Tenant | null,
  title: string,
  content: Html | string,
  /**
   * `wide`: one wider card; `cards`: no card of its own, the content is a column of `.card` sections;
   * `scripts`: scripts of our own origin the page loads, in order (send it with `sendHtml`'s `scripts`).
   */
  options: { wide?: boolean; cards?: boolean; scripts?: readonly string[] } = {},
): string {
  const brand = brandingOf(tenant);
  const colors = paletteOf(brand.primaryColor);
  const body = content instanceof Html ? content : trustedHtml(content);
  const logo = brand.logoUrl
    ? markup`<img src="${brand.logoUrl}" alt="${brand.name} logo" referrerpolicy="no-referrer">`
    : '';
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title} – ${brand.name}</title>
<style>:root{--primary:${colors.primary};--on-primary:${colors.onPrimary};--link:${colors.link}}${trustedHtml(STYLE)}${brand.backgroundColor ? trustedHtml(`body{background:${brand.backgroundColor}}`) : ''}${brand.customCss ? trustedHtml(brand.customCss) : ''}</style>
${(options.scripts ?? []).map((src) => markup`<script src="${src}" defer></script>`)}
</head>
<body>
<main${options.cards ? trustedHtml(' class="cards"') : options.wide ? trustedHtml(' class="wide"') : ''}>
<header class="brand">${logo}<p class="brand-name">${brand.name}</p></header>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`.value;
}

// ---------------------------------------------------------------------------------------------------------
// Form pieces shared by the pages.

export function hidden(name: string, value: string): Html {
  return markup`<input type="hidden" name="${name}" value="${value}">`;
}

export function alertBox(error: string | undefined): Html | '' {
  return error ? markup`<p role="alert" class="error">${error}</p>` : '';
}

export function noticeBox(notice: string | undefined): Html | '' {
  return notice ? markup`<p role="status" class="notice">${notice}</p>` : '';
}

/** One card of a page of cards (`layout(…, { cards: true })`): a section titled by its heading. */
export function card(id: string, title: string, body: Html): Html {
  return markup`<section class="card" id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${title}</h2>
${body}
</section>`;
}

// Made at the first use: an Intl formatter maps ICU's data, about 6 MB of resident memory.
let relative: Intl.RelativeTimeFormat | undefined;
const STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "5 minutes ago", with the exact UTC time in the element for whoever needs it. */
export function timeAgo(date: Date, now: Date): Html {
  const ago = now.getTime() - date.getTime();
  const step = STEPS.find(([, ms]) => ago >= ms);
  const text = step
    ? (relative ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto' })).format(
        -Math.floor(ago / step[1]),
        step[0],
      )
    : 'just now';
  const iso = date.toISOString();
  return markup`<time datetime="${iso}" title="${iso.replace('T', ' ').slice(0, 16)} UTC">${text}</time>`;
}

/** `path` under the tenant's base path, with `?interaction=` when there is one. */
export function link(ctx: PageContext, path: string, interaction?: string): string {
  return `${ctx.basePath}${path}${interaction ? `?interaction=${encodeURIComponent(interaction)}` : ''}`;
}

/** A form posting to `action` with the CSRF token and, during an app flow, its interaction id. */
export function form(ctx: PageContext, action: string, interaction: string | undefined, fields: Html): Html {
  return markup`<form method="post" action="${action}">
${hidden('csrf_token', ctx.csrfToken)}${interaction ? hidden('interaction', interaction) : ''}
${fields}
</form>`;
}
