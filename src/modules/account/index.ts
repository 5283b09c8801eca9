// The account page: end-user self-service (profile, password, sessions) at /account, and the page other
// modules add their own sections to (PageContributions.accountSections, see src/kernel/module.ts).
import { defineModule } from '../../kernel/module.js';
import { accountEvents } from './events.js';
import { accountPageRoutes } from './pages.js';
import { Account } from './service.js';

export const accountModule = defineModule({
  id: 'account',
  auditEvents: Object.values(accountEvents),
  setup(core) {
    const account = new Account(core);
    return { pageRoutes: accountPageRoutes(account, core.registration) };
  },
});
