// The browser-session API (/v2/session*). The session itself is core (src/auth/browser-sessions.ts): the
// hosted pages and the OpenID provider stand on it; this module exposes it to single-page apps.
import { defineModule } from '../../kernel/module.js';
import { sessionRoutes } from './routes.js';

export const browserSessionsModule = defineModule({
  id: 'browser-sessions',
  setup(core) {
    return {
      routes: sessionRoutes({
        login: core.login,
        password: core.passwordAuthenticator,
        browserSessions: core.browserSessions,
      }),
    };
  },
});
