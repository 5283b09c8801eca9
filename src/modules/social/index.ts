// Social sign-in with safe account linking: Google, GitHub, Microsoft, Apple, Facebook, LinkedIn,
// Discord, GitLab and any OpenID Connect provider, configured per tenant (admin API), as buttons on the
// hosted sign-in page and as an API for applications; linked accounts on the account page.
import { defineModule } from '../../kernel/module.js';
import { socialAdminRoutes } from './admin-routes.js';
import { socialEvents } from './events.js';
import { migration } from './migration.js';
import { socialPageRoutes } from './pages.js';
import { PROVIDER_KINDS } from './providers.js';
import {
  deleteClientExchangeCodes,
  deleteExpiredExchangeCodes,
  exportSocialData,
  listIdentities,
} from './repository.js';
import { socialRoutes } from './routes.js';
import { Social } from './service.js';
import { ACCOUNT_NOTICES, connectedAccountsCard, loginButtons } from './views.js';

export const socialModule = defineModule({
  id: 'social',
  migrations: [migration],
  auditEvents: Object.values(socialEvents),
  setup(core) {
    const social = new Social({
      db: core.db,
      tenants: core.tenants,
      config: core.config.social,
      secretboxMasterKey: core.secretboxMasterKey,
      identities: core.identities,
      limits: core.limits,
      registration: core.registration,
    });
    return {
      routes: socialRoutes(social, core.login),
      pageRoutes: socialPageRoutes(social, core.login, core.recentSignIn, core.secretboxMasterKey),
      adminRoutes: socialAdminRoutes(social, core.tenants, core.identities),
      // One per kind, for /v2/auth/config's login_methods (a sign-in uses the tenant's provider id).
      authenticators: PROVIDER_KINDS.map((kind) => ({
        ...social.authenticator(kind),
        enabled: (tenant) => social.enabled(tenant).some((p) => p.kind === kind),
      })),
      identities: social.identitySource,
      authConfig: (tenant) => ({ social_providers: social.enabled(tenant).map((p) => p.id) }),
      pages: {
        signInPage: (tenant) => ({ buttons: loginButtons(social.enabled(tenant)) }),
        accountSections: [
          {
            id: 'connected-accounts',
            title: 'Connected accounts',
            notices: ACCOUNT_NOTICES,
            async render(args) {
              const [linked, all] = await Promise.all([
                listIdentities(core.db, args.tenant.id, args.user.id),
                core.identities.list(args.tenant, args.user.id),
              ]);
              const mine = new Set(linked.map((i) => i.provider));
              return connectedAccountsCard(args.page, {
                providers: social.enabled(args.tenant),
                linked: all.filter((i) => mine.has(i.method)),
                total: all.length,
                recentSignIn: args.recentSignIn,
                reauthenticateHref: args.reauthenticateHref,
              });
            },
          },
        ],
      },
      userExport: (tx, tenant, userId) => exportSocialData(tx, tenant.id, userId),
      hooks: { clientDeleted: (tx, tenant, clientId) => deleteClientExchangeCodes(tx, tenant.id, clientId) },
      sweeperJobs: [
        { name: 'social_exchange_codes', run: (db, batch) => deleteExpiredExchangeCodes(db, batch) },
      ],
    };
  },
});
