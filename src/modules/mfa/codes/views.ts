// What a one-time code is delivered in: the email (plain text plus simple, accessible HTML, every value
// escaped) and the text message. Neither carries text the user chose; the code never goes in a subject
// line, where lock screens and mail lists show it.
import { escapeHtml, formatMinutes, oneLine, type RenderedEmail } from '../../../mail/templates.js';

export interface CodeMessageInput {
  tenantName: string;
  code: string;
  expiresInMinutes: number;
  /** Setting the factor up rather than signing in: said so, so an unexpected mail is recognised. */
  enrolling: boolean;
}

export function codeEmail(input: CodeMessageInput): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  const subject = input.enrolling
    ? `Confirm email codes for your ${tenant} account`
    : `Your ${tenant} sign-in code`;
  const intro = input.enrolling
    ? `Enter this code to receive sign-in codes for your ${tenant} account by email:`
    : `Enter this code to finish signing in to ${tenant}:`;
  const expiry = `The code expires in ${formatMinutes(input.expiresInMinutes)} and works only once.`;
  const ignore =
    "If this wasn't you, do not share the code with anyone. Someone may know your password: change it.";
  const text = ['Hello,', '', intro, '', input.code, '', expiry, '', ignore, '', `— ${tenant}`, ''].join(
    '\n',
  );
  const e = escapeHtml;
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f5;">
<div role="article" aria-label="${e(subject)}" style="max-width:560px;margin:0 auto;padding:32px 24px;background:#ffffff;color:#18181b;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;">
<p style="margin:0 0 16px;">Hello,</p>
<p style="margin:0 0 16px;">${e(intro)}</p>
<p style="margin:0 0 24px;font-family:'Courier New',Courier,monospace;font-size:28px;font-weight:bold;letter-spacing:6px;">${e(input.code)}</p>
<p style="margin:0 0 16px;">${e(expiry)}</p>
<p style="margin:0 0 16px;">${e(ignore)}</p>
<p style="margin:0;color:#52525b;">— ${e(tenant)}</p>
</div>
</body>
</html>
`;
  return { subject, text, html };
}

/**
 * The text message. Its last line is the origin-bound form of the WebOTP API and of iOS/Android code
 * autofill (`@host #code`): a browser offers the code only on that site.
 */
export function codeText(input: CodeMessageInput & { host: string }): string {
  const tenant = oneLine(input.tenantName);
  const purpose = input.enrolling ? 'confirms this number for' : 'is your sign-in code for';
  return (
    `${input.code} ${purpose} ${tenant}. It expires in ${formatMinutes(input.expiresInMinutes)}; ` +
    `never share it.\n\n@${input.host} #${input.code}`
  );
}
