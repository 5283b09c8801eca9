// Schemas of the hosted pages (sign in and its second step, create an account, consent, forgot and reset password): their
// url-encoded forms and their answers, which are HTML pages, redirects, and HTML error pages. Errors that are
// not about the request (rate limits, an unavailable database) keep the API's JSON (page-errors.ts).
import { Type } from '@sinclair/typebox';
import { Email, Name, Password, StringEnum, errors, htmlPage, type ErrorStatus } from './common.js';

export const InteractionId = Type.String({
  maxLength: 64,
  description: 'The authorization in progress that this page continues.',
});
export const InteractionQuery = Type.Object({ interaction: Type.Optional(InteractionId) });
/**
 * A page of ours to go to after signing in (no authorization in progress): a path under the tenant's base
 * path, of lower-case words only. Nothing else passes, so it cannot name another site (no `//`, scheme,
 * host, backslash, dot or query): no open redirect.
 */
export const ReturnPath = Type.String({
  pattern: '^(/[a-z0-9-]+)+$',
  maxLength: 100,
  description: 'A page of this tenant to return to after signing in, e.g. `/account`.',
});
export const LoginQuery = Type.Object({
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});
export const Csrf = Type.String({ maxLength: 100, description: 'The form\u2019s CSRF token.' });
/** The token of an emailed link as it arrives; AuthService decides whether it is one. */
export const LinkToken = Type.String({ maxLength: 1000 });

export const LoginForm = Type.Object({
  email: Email,
  password: Password,
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});

export const MfaForm = Type.Object({
  mfa_token: Type.String({ maxLength: 4096, description: 'The sealed challenge of the first step.' }),
  factor: Type.String({ maxLength: 64, description: 'The factor the form is about.' }),
  action: Type.Optional(
    StringEnum(['verify', 'send', 'choose', 'enroll'], {
      description:
        '`verify` (default): check `code`; `send`: send the code of a factor that delivers one; ' +
        '`choose`: show `factor` instead; `enroll`: show the setup (a new QR code) again.',
    }),
  ),
  // A typed code, or (a passkey: factor webauthn) its assertion as JSON.
  code: Type.Optional(Type.String({ maxLength: 8192 })),
  remember_device: Type.Optional(
    StringEnum(['true'], { description: 'Remember this device (when the page offers it).' }),
  ),
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});

export const RegisterForm = Type.Object({
  email: Email,
  password: Password,
  name: Type.Optional(Name),
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
});

export const ConsentForm = Type.Object({
  decision: StringEnum(['allow', 'deny', 'switch_account']),
  csrf_token: Type.Optional(Csrf),
  interaction: InteractionId,
});

export const ForgotForm = Type.Object({
  email: Email,
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
});

export const ResetPasswordForm = Type.Object({
  token: LinkToken,
  password: Password,
  confirm: Type.Optional(Password),
  csrf_token: Type.Optional(Csrf),
});

/**
 * What a page route answers: the page (200), error pages (400 bad request, 404 unknown tenant, and the
 * `pages` it names), and the API's JSON for the errors pages do not render (`json`; 500 and 503 always).
 */
export function pageAnswers(pages: Record<number, string> = {}, json: readonly ErrorStatus[] = []) {
  const answers: Record<number, ReturnType<typeof htmlPage> | ReturnType<typeof errors>[ErrorStatus]> = {
    ...errors(...json),
    200: htmlPage('The page.'),
    400: htmlPage('An error page: the request or form is not valid, or the link expired.'),
    404: htmlPage('An error page: no such tenant.'),
  };
  for (const [status, description] of Object.entries(pages)) answers[Number(status)] = htmlPage(description);
  return answers;
}
