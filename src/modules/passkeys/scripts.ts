import type { SignInPageParts } from '../../kernel/module.js';
/** The scripts the passkey forms need, in this order (paths under the tenant's base path; pages.ts serves them). */
export const PASSKEY_SCRIPTS: readonly string[] = ['/assets/webauthn.js', '/assets/passkeys.js'];

/** The sign-in page's part: a button the script shows (and drives), and passkeys offered as autofill. */
export const PASSKEY_SIGN_IN: SignInPageParts = {
  buttons: [
    {
      id: 'passkey-sign-in',
      label: 'Sign in with a passkey',
      href: '/login/passkey',
      post: true,
      needsScript: true,
    },
  ],
  scripts: PASSKEY_SCRIPTS,
  autocomplete: ['webauthn'],
};
