// The admin console's server side (issue 19): the operators' tenant `admin` with the console's public
// OAuth client and the `admin` role, the operators' console accounts (`hellojohn admin create <email>
// --console`, HELLOJOHN_ADMIN_EMAIL/_PASSWORD at startup), console tokens accepted by the admin API, and
// the built single-page app served at /admin. See docs/console.md.
import { defineModule, type FeatureModule } from '../../kernel/module.js';
import { consoleEvents } from './events.js';
import { BUILT_CONSOLE_DIR, ConsoleFiles } from './files.js';
import { consoleRoutes } from './routes.js';
import { ConsoleService } from './service.js';

export interface ConsoleModuleOptions {
  /** Where the built console is (default: dist/console of this package). Tests point it elsewhere. */
  distDir?: string;
}

export function createConsoleModule(options: ConsoleModuleOptions = {}): FeatureModule {
  return defineModule({
    id: 'console',
    auditEvents: Object.values(consoleEvents),
    setup(core) {
      const service = new ConsoleService({
        db: core.db,
        baseUrl: core.config.http.baseUrl,
        logger: core.logger,
        tenants: core.tenants,
        tenantAdmin: core.tenantAdmin,
        clients: core.clients,
        registration: core.registration,
        sessionAccess: core.sessionAccess,
        userRoles: () => core.userRoles,
      });
      return {
        siteRoutes: consoleRoutes(service, new ConsoleFiles(options.distDir ?? BUILT_CONSOLE_DIR)),
        adminAuthenticator: { via: 'console', authenticate: (token) => service.authenticate(token) },
        operatorAccounts: {
          create: (email, password) => service.createAccount(email, password, 'cli'),
        },
        onReady: () => service.atStartup(core.config.console.bootstrapAdmin),
      };
    },
  });
}

export const consoleModule = createConsoleModule();
