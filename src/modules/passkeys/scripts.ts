import { trustedHtml } from '../../http/views/layout.js';
import type { SignInPageParts } from '../../kernel/module.js';
/** The scripts the passkey forms need, in this order (paths under the tenant's base path; pages.ts serves them). */
export const PASSKEY_SCRIPTS: readonly string[] = ['/assets/webauthn.js', '/assets/passkeys.js'];

/** A key, drawn in the text colour (constant markup). */
const PASSKEY_MARK = trustedHtml(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" focusable="false"><circle cx="7.5" cy="15.5" r="4.5"/><path d="M10.7 12.3 20 3m-4 4 3 3m-6-1 2 2"/></svg>',
);

/** The sign-in page's part: a button the script shows (and drives), and passkeys offered as autofill. */
export const PASSKEY_SIGN_IN: SignInPageParts = {
  buttons: [
    {
      id: 'passkey-sign-in',
      label: 'Sign in with a passkey',
      href: '/login/passkey',
      post: true,
      needsScript: true,
      icon: PASSKEY_MARK,
    },
  ],
  scripts: PASSKEY_SCRIPTS,
  autocomplete: ['webauthn'],
};
