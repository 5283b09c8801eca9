// Passkeys (WebAuthn, @simplewebauthn/server): a way to sign in without a password and without typing an
// email (usernameless, and as autofill on the sign-in page), a second factor for accounts with MFA, and
// the account page's card, the account API and the admin API to list, rename and delete them, and the
// offer to add one right after a hosted sign-up (an afterSignUp step). On for every tenant unless an admin
// turns it off (settings.passkeys): then none of it is offered, and passkeys are kept, unused.
// See docs/passkeys.md.
import { defineModule } from '../../kernel/module.js';
import { passkeyAdminRoutes } from './admin-routes.js';
import { passkeyEvents } from './events.js';
import { PasskeyAuthenticator, PasskeyFactor } from './methods.js';
import { hasPasskeyFunction, migration } from './migration.js';
import { PASSKEY_NOTICES, SIGN_UP_STEP, passkeyPages } from './pages.js';
import { PASSKEY_SCRIPTS, PASSKEY_SIGN_IN } from './scripts.js';
import { deleteExpiredChallenges, exportPasskeyData } from './repository.js';
import { passkeyRoutes } from './routes.js';
import { Passkeys } from './service.js';
import { passkeysCard } from './views.js';

export const passkeysModule = defineModule({
  id: 'passkeys',
  migrations: [migration, hasPasskeyFunction],
  auditEvents: Object.values(passkeyEvents),
  setup(core) {
    const passkeys = new Passkeys({
      db: core.db,
      limits: core.limits,
      identities: core.identities,
      tenants: core.tenants,
    });
    const authenticator = new PasskeyAuthenticator(passkeys);
    const factor = new PasskeyFactor({ db: core.db, passkeys, factors: () => core.secondFactors });
    return {
      authenticators: [authenticator],
      secondFactors: [factor],
      identities: { list: (db, tenant, userId) => passkeys.identities(db, tenant, userId) },
      routes: passkeyRoutes(passkeys, authenticator, core.login, core.recentSignIn),
      adminRoutes: passkeyAdminRoutes(passkeys, core.tenants),
      pageRoutes: passkeyPages(passkeys, authenticator, core.login, core.recentSignIn),
      pages: {
        // Only for a tenant that offers passkeys: no button, scripts or autofill otherwise.
        signInPage: (tenant) => (passkeys.offered(tenant) ? PASSKEY_SIGN_IN : {}),
        afterSignUp: { path: SIGN_UP_STEP, applies: (tenant) => passkeys.offered(tenant) },
        accountSections: [
          {
            id: 'passkeys',
            title: 'Passkeys',
            notices: PASSKEY_NOTICES,
            scripts: PASSKEY_SCRIPTS,
            render: async (args) =>
              passkeysCard(
                args,
                await passkeys.list(args.tenant, args.user.id),
                new Date(),
                passkeys.offered(args.tenant),
              ),
          },
        ],
      },
      sweeperJobs: [{ name: 'passkey_challenges', run: deleteExpiredChallenges }],
      userExport: (tx, tenant, userId) => exportPasskeyData(tx, tenant.id, userId),
    };
  },
});
