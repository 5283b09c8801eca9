// Sign-in by email as a first factor: magic links and one-time codes (docs/passwordless.md). Both are
// Authenticators completed through core.login, so the tenant's MFA policy applies after them; both are off
// until a tenant turns them on (settings.email_sign_in, admin API).
import { SecretMac } from '../../crypto/one-time-codes.js';
import { defineModule } from '../../kernel/module.js';
import { HourlyCap } from '../../security/send-caps.js';
import { emailSignInAdminRoutes } from './admin-routes.js';
import { emailSignInEvents } from './events.js';
import { emailSignInMigration } from './migration.js';
import { emailSignInPages } from './pages.js';
import { deleteExpiredSignIns, exportEmailSignInData } from './repository.js';
import { emailSignInRoutes } from './routes.js';
import { EMAIL_METHODS, EmailSignIn } from './service.js';
import { METHOD_PAGES } from './views.js';

export const emailSignInModule = defineModule({
  id: 'email-signin',
  migrations: [emailSignInMigration],
  auditEvents: Object.values(emailSignInEvents),
  setup(core) {
    const config = core.config.emailSignIn;
    const signIn = new EmailSignIn({
      db: core.db,
      config,
      outbox: core.outbox,
      limits: core.limits,
      tenants: core.tenants,
      cap: new HourlyCap(core.rateLimitStore, 'email-sign-in:address'),
      macs: new SecretMac(core.secretboxMasterKey, 'hellojohn email sign-in v1'),
    });
    return {
      routes: emailSignInRoutes(signIn, core.login),
      adminRoutes: emailSignInAdminRoutes(signIn, core.tenants),
      pageRoutes: emailSignInPages(signIn, core.login, config.code.length),
      authenticators: [signIn.magicLink, signIn.emailCode],
      pages: {
        signInPage: (tenant) => ({
          links: EMAIL_METHODS.filter((method) => signIn.offers(tenant, method)).map((method) => ({
            href: METHOD_PAGES[method].path,
            label: METHOD_PAGES[method].link,
          })),
        }),
      },
      sweeperJobs: [{ name: 'email_sign_ins', run: deleteExpiredSignIns }],
      userExport: (tx, tenant, userId) => exportEmailSignInData(tx, tenant.id, userId),
    };
  },
});
