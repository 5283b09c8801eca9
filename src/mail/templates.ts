// The emails the server sends, as plain text plus simple, accessible HTML (no images, no external assets).
// Every value placed in the HTML is escaped: tenant names are operator input.
// No mail carries text the requester chose (their name, say): the address may not be theirs, and a name
// like "SECURITY ALERT call +1 555…" at the top of a mail from us would lend it our authority. Greetings
// are neutral.

export interface EmailTemplateInput {
  tenantName: string;
  /** An absolute http(s) URL carrying the single-use token. */
  link: string;
  expiresInMinutes: number;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function verificationEmail(input: EmailTemplateInput): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  return linkEmail(input, {
    subject: `Verify your email address for ${tenant}`,
    intro: `Please confirm the email address of your ${tenant} account.`,
    action: 'Verify email address',
    ignore: `If you did not create a ${tenant} account, you can ignore this email.`,
  });
}

export function passwordResetEmail(input: EmailTemplateInput): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  return linkEmail(input, {
    subject: `Reset your ${tenant} password`,
    intro: `Someone asked to reset the password of your ${tenant} account.`,
    action: 'Choose a new password',
    ignore: `If this wasn't you, you can ignore this email: your password stays the same.`,
  });
}

export interface LinkEmailWording {
  subject: string;
  intro: string;
  /** The button's text. */
  action: string;
  /** What to do when the mail was not expected. */
  ignore: string;
}

/** A mail whose point is one single-use link (a button, and the link written out). */
export function linkEmail(input: EmailTemplateInput, words: LinkEmailWording): RenderedEmail {
  const link = checkedLink(input.link);
  const greeting = 'Hello,';
  const expiry = `This link expires in ${formatMinutes(input.expiresInMinutes)} and works only once.`;
  const button = `${words.action}:`;

  const text = [
    greeting,
    '',
    words.intro,
    '',
    button,
    link,
    '',
    expiry,
    '',
    words.ignore,
    '',
    `— ${oneLine(input.tenantName)}`,
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = mailPage(
    words.subject,
    `<p style="margin:0 0 16px;">${e(greeting)}</p>
<p style="margin:0 0 24px;">${e(words.intro)}</p>
<p style="margin:0 0 24px;"><a href="${e(link)}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold;">${e(words.action)}</a></p>
<p style="margin:0 0 8px;">If the button does not work, copy this link into your browser:</p>
<p style="margin:0 0 24px;word-break:break-all;"><a href="${e(link)}" style="color:#1d4ed8;">${e(link)}</a></p>
<p style="margin:0 0 16px;">${e(expiry)}</p>
<p style="margin:0 0 16px;">${e(words.ignore)}</p>
<p style="margin:0;color:#52525b;">— ${e(oneLine(input.tenantName))}</p>
`,
  );
  return { subject: words.subject, text, html };
}

export interface CodeEmailInput {
  tenantName: string;
  code: string;
  expiresInMinutes: number;
}

/**
 * A mail whose point is one single-use code, on a line of its own (never in the subject line, which lock
 * screens and mail lists show).
 */
export function codeEmail(
  input: CodeEmailInput,
  words: { subject: string; intro: string; ignore: string },
): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  const expiry = `The code expires in ${formatMinutes(input.expiresInMinutes)} and works only once.`;
  const text = [
    'Hello,',
    '',
    words.intro,
    '',
    input.code,
    '',
    expiry,
    '',
    words.ignore,
    '',
    `— ${tenant}`,
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = mailPage(
    words.subject,
    `<p style="margin:0 0 16px;">Hello,</p>
<p style="margin:0 0 16px;">${e(words.intro)}</p>
<p style="margin:0 0 24px;font-family:'Courier New',Courier,monospace;font-size:28px;font-weight:bold;letter-spacing:6px;">${e(input.code)}</p>
<p style="margin:0 0 16px;">${e(expiry)}</p>
<p style="margin:0 0 16px;">${e(words.ignore)}</p>
<p style="margin:0;color:#52525b;">— ${e(tenant)}</p>
`,
  );
  return { subject: words.subject, text, html };
}

/** The HTML frame of every mail: one centred column; `body` is already escaped. */
function mailPage(subject: string, body: string): string {
  const title = escapeHtml(subject);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f5;">
<div role="article" aria-label="${title}" style="max-width:560px;margin:0 auto;padding:32px 24px;background:#ffffff;color:#18181b;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;">
${body}</div>
</body>
</html>
`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** Names go into a subject line and single lines of text: no line breaks or other control characters. */
export function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

function checkedLink(link: string): string {
  let url: URL | undefined;
  try {
    url = new URL(link);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError('email link must be an absolute http(s) URL');
  }
  return link;
}

export function formatMinutes(total: number): string {
  const minutes = Math.max(1, Math.round(total));
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (minutes < 60) return plural(minutes, 'minute');
  // Long-lived links (invitations: days) in days, when whole; up to 48 hours in hours, as people say it.
  if (minutes > 2880 && minutes % 1440 === 0) return plural(minutes / 1440, 'day');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}
