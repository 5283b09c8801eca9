/** The scripts the passkey forms need, in this order (paths under the tenant's base path; pages.ts serves them). */
export const PASSKEY_SCRIPTS: readonly string[] = ['/assets/webauthn.js', '/assets/passkeys.js'];
