// Email verification: the link sent at registration and on request, and the endpoint it opens.
import { defineModule } from '../../kernel/module.js';
import { verificationEvents } from './events.js';
import { verificationRoutes } from './routes.js';
import { EmailVerification } from './service.js';

export const emailVerificationModule = defineModule({
  id: 'email-verification',
  auditEvents: Object.values(verificationEvents),
  setup(core) {
    const verification = new EmailVerification({ ...core, auth: core.config.auth });
    return {
      routes: verificationRoutes(verification),
      hooks: {
        userRegistered: (tx, tenant, user) => verification.onRegistered(tx, tenant, user),
        // An admin changed the address without vouching for it: a link to the new one.
        emailChanged: (tx, tenant, user) => verification.onRegistered(tx, tenant, user),
      },
    };
  },
});
