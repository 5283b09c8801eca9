// A tenant's custom CSS: a small, safe subset, parsed and written out again (never the text as typed).
//   - Rules only: `selector[, selector] { property: value; ... }`. No at-rules (@import, @font-face,
//     @media...), no comments, no escapes (backslash), no `<` or `>` (so never `</style>`).
//   - Selectors: the hosted pages' own elements and classes (ALLOWED_SELECTORS), nothing else: no
//     attribute selectors (they can read input values a letter at a time), no combinators.
//   - Properties: colours, fonts, spacing, borders and shadows (ALLOWED_PROPERTIES). No `content`,
//     `background-image`, `behavior`, `position`... nothing that loads a resource or moves the page around.
//   - Values: words, numbers with units, #hex colours, quoted font names, and the colour functions rgb(),
//     rgba(), hsl(), hsla(). So no url(), image-set(), expression(), var() or attr().
// The same parser checks what an admin sends (a 400 naming the first problem) and what the pages render
// (a stored value that no longer passes is not rendered at all), so a row edited by hand cannot inject.

export const MAX_CUSTOM_CSS = 4000;

const ALLOWED_SELECTORS = new Set([
  'body',
  'main',
  'h1',
  'h2',
  'p',
  'a',
  'label',
  'input',
  'button',
  'legend',
  '.brand',
  '.brand img',
  '.brand-name',
  '.card',
  '.links',
  '.error',
  '.notice',
  '.hint',
  '.muted',
  '.divider',
  'button.secondary',
  'a.button',
  'a:hover',
  'button:hover',
]);

const ALLOWED_PROPERTIES = new Set([
  'color',
  'background-color',
  'border',
  'border-color',
  'border-width',
  'border-style',
  'border-radius',
  'box-shadow',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'letter-spacing',
  'line-height',
  'text-align',
  'text-decoration',
  'text-transform',
  'margin',
  'margin-top',
  'margin-bottom',
  'padding',
  'max-width',
  'max-height',
]);

// One value token: a word (letters, digits, hyphen), a number with an optional unit or %, a #hex colour,
// a quoted font name (letters, digits, spaces, hyphens), a comma, or a colour function of numbers.
const VALUE_TOKEN =
  /^(?:[a-zA-Z][a-zA-Z0-9-]*|-?\d*\.?\d+(?:[a-z]{1,4}|%)?|#[0-9a-fA-F]{3,8}|"[a-zA-Z0-9 -]{1,60}"|'[a-zA-Z0-9 -]{1,60}'|,|(?:rgb|rgba|hsl|hsla)\([0-9., %/deg]{1,60}\))$/;
const FORBIDDEN_WORDS = /url|expression|javascript|image-set|var|attr|import/i;

export type CssCheck = { ok: true; css: string } | { ok: false; reason: string };

/** Checks `text` against the subset; answers the normalised CSS, or the first problem found. */
export function checkCustomCss(text: string): CssCheck {
  if (text.length > MAX_CUSTOM_CSS)
    return { ok: false, reason: `custom_css is longer than ${MAX_CUSTOM_CSS} characters.` };
  if (/[\\<>@]|\/\*/.test(text))
    return {
      ok: false,
      reason: 'custom_css may not contain at-rules (@import...), comments, escapes, "<" or ">".',
    };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text))
    return { ok: false, reason: 'custom_css contains control characters.' };
  const rules: string[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open < 0 || close < open) return { ok: false, reason: 'custom_css has an unbalanced "{" or "}".' };
    const selectors = rest
      .slice(0, open)
      .split(',')
      .map((s) => s.trim().replace(/\s+/g, ' '));
    for (const selector of selectors) {
      if (!ALLOWED_SELECTORS.has(selector))
        return {
          ok: false,
          reason: `custom_css: the selector "${selector.slice(0, 60)}" is not allowed (allowed: ${[...ALLOWED_SELECTORS].join(', ')}).`,
        };
    }
    const body = rest.slice(open + 1, close);
    if (body.includes('{')) return { ok: false, reason: 'custom_css may not nest rules.' };
    const declarations: string[] = [];
    for (const declaration of body.split(';')) {
      if (declaration.trim() === '') continue;
      const colon = declaration.indexOf(':');
      if (colon < 0) return { ok: false, reason: 'custom_css: a declaration has no ":".' };
      const property = declaration.slice(0, colon).trim().toLowerCase();
      if (!ALLOWED_PROPERTIES.has(property))
        return { ok: false, reason: `custom_css: the property "${property.slice(0, 60)}" is not allowed.` };
      const value = checkValue(declaration.slice(colon + 1));
      if (value === null)
        return { ok: false, reason: `custom_css: the value of "${property}" is not allowed.` };
      declarations.push(`${property}:${value}`);
    }
    rules.push(`${selectors.join(',')}{${declarations.join(';')}}`);
    rest = rest.slice(close + 1).trim();
  }
  return { ok: true, css: rules.join('') };
}

function checkValue(raw: string): string | null {
  const value = raw.trim().replace(/\s+/g, ' ');
  if (value.length === 0 || value.length > 200) return null;
  let important = '';
  let body = value;
  if (/\s*!important$/i.test(body)) {
    body = body.replace(/\s*!important$/i, '');
    important = ' !important';
  }
  // Tokens: split on spaces outside quotes and parentheses, commas standing alone.
  const tokens = body.match(/"[^"]*"|'[^']*'|[a-z]+\([^)]*\)|,|[^\s,]+/gi) ?? [];
  if (tokens.join('').replace(/\s/g, '') !== body.replace(/\s/g, '')) return null;
  for (const token of tokens) {
    if (!VALUE_TOKEN.test(token)) return null;
    if (FORBIDDEN_WORDS.test(token) && !/^["']/.test(token)) return null;
  }
  return `${tokens.join(' ').replace(/ , /g, ', ')}${important}`;
}
