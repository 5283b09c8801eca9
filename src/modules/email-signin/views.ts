// Sign-in by email as pure functions from data to text and HTML: the two mails, and the hosted pages (ask
// for a link or a code, "check your email", the page a link opens, the code an app's link shows).
import {
  alertBox,
  form,
  hidden,
  layout,
  link,
  markup,
  noticeBox,
  type PageContext,
} from '../../http/views/layout.js';
import {
  codeEmail,
  linkEmail,
  oneLine,
  type EmailTemplateInput,
  type RenderedEmail,
} from '../../mail/templates.js';

// --- the mails ---------------------------------------------------------------------------------------

export function signInLinkEmail(input: EmailTemplateInput): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  return linkEmail(input, {
    subject: `Sign in to ${tenant}`,
    intro: `Someone asked to sign in to your ${tenant} account with this email address.`,
    action: `Sign in to ${tenant}`,
    ignore: "If this wasn't you, ignore this email: nobody can sign in without the link.",
  });
}

export function signInCodeEmail(input: {
  tenantName: string;
  code: string;
  expiresInMinutes: number;
}): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  return codeEmail(input, {
    subject: `Your ${tenant} sign-in code`,
    intro: `Enter this code to sign in to ${tenant}:`,
    ignore: "If this wasn't you, ignore this email and never share the code with anyone.",
  });
}

// --- the pages ---------------------------------------------------------------------------------------

/** What the two ways differ in on the pages: where they post, and their words. */
export const METHOD_PAGES = {
  magic_link: {
    path: '/email-link',
    title: 'Sign in with a link',
    link: 'Email me a sign-in link',
    intro: 'Enter the email address of your account and we will email you a link to sign in.',
    button: 'Email me a link',
  },
  email_otp: {
    path: '/email-code',
    title: 'Sign in with a code',
    link: 'Sign in with a code',
    intro: 'Enter the email address of your account and we will email you a code to sign in.',
    button: 'Email me a code',
  },
} as const;

const backToSignIn = (ctx: PageContext, interaction: string | undefined) =>
  markup`<p class="links"><a href="${link(ctx, '/login', interaction)}">Sign in with a password</a></p>`;

const emailField = (email: string | undefined) =>
  markup`<div class="field"><label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="username" required value="${email ?? ''}"></div>`;

/** Asks for the address to mail a link or a code to. */
export function askEmailPage(
  ctx: PageContext,
  method: keyof typeof METHOD_PAGES,
  v: { interaction?: string; email?: string; error?: string },
): string {
  const words = METHOD_PAGES[method];
  const fields = markup`${hidden('action', 'send')}${emailField(v.email)}
<div class="actions"><button type="submit">${words.button}</button></div>`;
  const content = markup`${alertBox(v.error)}
<p class="intro">${words.intro}</p>
${form(ctx, `${ctx.basePath}${words.path}`, v.interaction, fields)}
${backToSignIn(ctx, v.interaction)}`;
  return layout(ctx.tenant, words.title, content);
}

/** After a link was asked for: the same words whether or not the address has an account. */
export function linkSentPage(
  ctx: PageContext,
  v: { interaction?: string; email: string; expiresInMinutes: number },
): string {
  const again = markup`${hidden('action', 'send')}${hidden('email', v.email)}<p class="muted center">Didn’t get it? Check your spam folder, or <button type="submit" class="link">send a new link</button>.</p>`;
  const content = markup`<p role="status" class="notice">If <strong>${v.email}</strong> belongs to an account, we have emailed it a sign-in link.</p>
<p>Open the link in <strong>this browser</strong> to continue. It works once, for ${String(v.expiresInMinutes)} minutes.</p>
${form(ctx, `${ctx.basePath}/email-link`, v.interaction, again)}
${backToSignIn(ctx, v.interaction)}`;
  return layout(ctx.tenant, 'Check your email', content);
}

/** The code form, once a code was asked for (and again after a wrong code). */
export function enterCodePage(
  ctx: PageContext,
  v: { interaction?: string; email: string; length: number; error?: string; sent?: boolean },
): string {
  const verify = markup`${hidden('action', 'verify')}${hidden('email', v.email)}
<div class="field"><label for="code">The ${String(v.length)}-digit code we emailed you</label><input id="code" name="code" type="text" class="code" inputmode="numeric" autocomplete="one-time-code" autocapitalize="off" spellcheck="false" required autofocus></div>
<div class="actions"><button type="submit">Sign in</button></div>`;
  const again = markup`${hidden('action', 'send')}${hidden('email', v.email)}<p class="muted center">Didn’t get it? <button type="submit" class="link">Send a new code</button></p>`;
  const sent = v.sent
    ? markup`If <strong>${v.email}</strong> belongs to an account, we have emailed it a code.`
    : undefined;
  const content = markup`${alertBox(v.error)}${sent ? markup`<p role="status" class="notice">${sent}</p>` : ''}
${form(ctx, `${ctx.basePath}/email-code`, v.interaction, verify)}
${form(ctx, `${ctx.basePath}/email-code`, v.interaction, again)}
${backToSignIn(ctx, v.interaction)}`;
  return layout(ctx.tenant, 'Check your email', content);
}

/**
 * The page a link opens. Nothing is spent until the button is pressed: mail scanners that open links
 * cannot use them up, and no other site can sign this browser in with a link of its choosing.
 */
export function linkPage(
  ctx: PageContext,
  v: {
    token: string;
    email: string;
    /** app: the link of an app (shows a code for it); here: continues in this browser; elsewhere: the
     * authorization it was asked for is in another browser. */
    kind: 'app' | 'here' | 'elsewhere';
    interaction?: string;
  },
): string {
  const button = (label: string) =>
    markup`${hidden('token', v.token)}<div class="actions"><button type="submit">${label}</button></div>`;
  const post = (label: string, interaction?: string) =>
    form(ctx, `${ctx.basePath}/v2/auth/magic-link/verify`, interaction, button(label));
  switch (v.kind) {
    case 'app':
      return layout(
        ctx.tenant,
        'Approve this sign-in',
        markup`<p class="intro">An app asked to sign in to <strong>${ctx.tenant.name}</strong> as <strong>${v.email}</strong>.</p>
<p>Continue only if you asked for it yourself: we will show you a code to enter in that app.</p>
${post('Show my sign-in code')}`,
      );
    case 'here':
      return layout(
        ctx.tenant,
        'Sign in',
        markup`<p class="intro">Sign in to <strong>${ctx.tenant.name}</strong> as <strong>${v.email}</strong>.</p>
${post('Continue', v.interaction)}`,
      );
    case 'elsewhere':
      return layout(
        ctx.tenant,
        'Continue where you started',
        markup`<p class="intro">You asked for this link in another browser or on another device.</p>
<p>To go on to the app, open the link there: open the email on that device, or copy this page’s address into that browser.</p>
<p class="divider"><span>or</span></p>
${form(
  ctx,
  `${ctx.basePath}/v2/auth/magic-link/verify`,
  undefined,
  markup`${hidden('token', v.token)}<div class="actions"><button type="submit" class="secondary">Sign in on this device instead</button></div>`,
)}
<p class="muted center">As <strong>${v.email}</strong>, without returning to the app.</p>`,
      );
  }
}

/** An app's link, approved: the code to type into the app that asked (it alone can use it). */
export function appCodePage(ctx: PageContext, v: { code: string; expiresInMinutes: number }): string {
  const content = markup`${noticeBox('Your sign-in is approved. Enter this code in the app where you asked to sign in:')}
<p><code class="value" style="font-size:1.75rem;font-weight:600;letter-spacing:.3em;text-align:center">${v.code}</code></p>
<p class="muted center">It works once, for ${String(v.expiresInMinutes)} minutes, and only in that app. Never tell it to anyone.</p>`;
  return layout(ctx.tenant, 'Enter this code in the app', content);
}

/** A link that is unknown, expired or spent; or (`error`) one that cannot sign in now. */
export function linkDeadPage(ctx: PageContext, v: { error?: string }): string {
  const content = markup`${
    v.error
      ? alertBox(v.error)
      : markup`<p role="alert" class="error">This link has expired or was already used.</p>
<p>A sign-in link works once, for a limited time. Ask for a new one and use the latest email.</p>`
  }
<div class="actions"><a class="button" href="${link(ctx, '/email-link')}">Email me a new link</a></div>
<p class="links"><a href="${link(ctx, '/login')}">Back to sign in</a></p>`;
  return layout(ctx.tenant, v.error ? 'Cannot sign in' : 'Link expired', content);
}
