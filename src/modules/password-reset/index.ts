// Password reset: "forgot your password?" by email link, as JSON endpoints and hosted pages.
import { defineModule, type SignInPageParts } from '../../kernel/module.js';
import { resetEvents } from './events.js';
import { passwordPageRoutes } from './pages.js';
import { passwordResetRoutes } from './routes.js';
import { PasswordReset } from './service.js';

/** Under the sign-in form of every tenant. */
const FORGOT_LINK: SignInPageParts = { links: [{ href: '/forgot', label: 'Forgot your password?' }] };

export const passwordResetModule = defineModule({
  id: 'password-reset',
  auditEvents: Object.values(resetEvents),
  setup(core) {
    const reset = new PasswordReset({ ...core, auth: core.config.auth });
    return {
      routes: passwordResetRoutes(reset),
      pageRoutes: passwordPageRoutes(reset),
      pages: { signInPage: () => FORGOT_LINK },
    };
  },
});
