// The account page's query and url-encoded forms. Each form carries the CSRF token of the browser.
import { Type } from '@sinclair/typebox';
import { Name, Password, Uuid } from '../../http/schemas/common.js';
import { Csrf } from '../../http/schemas/pages.js';

export const AccountQuery = Type.Object({
  notice: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'A confirmation to show, by code (a form just did its work). Unknown codes show nothing.',
    }),
  ),
});

export const NameForm = Type.Object({ name: Name, csrf_token: Type.Optional(Csrf) });

export const PasswordForm = Type.Object({
  current_password: Type.Optional({
    ...Password,
    description:
      'Required when the account has a password. An account without one (a social or passkey sign-up) sets its first password without it.',
  }),
  new_password: Password,
  confirm: Type.Optional(Password),
  csrf_token: Type.Optional(Csrf),
});

export const SessionForm = Type.Object({
  session_id: Uuid,
  csrf_token: Type.Optional(Csrf),
});

export const CsrfOnlyForm = Type.Object({ csrf_token: Type.Optional(Csrf) });
