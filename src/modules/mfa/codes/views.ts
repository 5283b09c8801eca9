// What a one-time code is delivered in: the email (plain text plus simple, accessible HTML, every value
// escaped) and the text message. Neither carries text the user chose; the code never goes in a subject
// line, where lock screens and mail lists show it.
import {
  codeEmail as renderCodeEmail,
  formatMinutes,
  oneLine,
  type RenderedEmail,
} from '../../../mail/templates.js';

export interface CodeMessageInput {
  tenantName: string;
  code: string;
  expiresInMinutes: number;
  /** Setting the factor up rather than signing in: said so, so an unexpected mail is recognised. */
  enrolling: boolean;
}

export function codeEmail(input: CodeMessageInput): RenderedEmail {
  const tenant = oneLine(input.tenantName);
  return renderCodeEmail(input, {
    subject: input.enrolling
      ? `Confirm email codes for your ${tenant} account`
      : `Your ${tenant} sign-in code`,
    intro: input.enrolling
      ? `Enter this code to receive sign-in codes for your ${tenant} account by email:`
      : `Enter this code to finish signing in to ${tenant}:`,
    ignore:
      "If this wasn't you, do not share the code with anyone. Someone may know your password: change it.",
  });
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
