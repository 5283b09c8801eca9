// The feature modules this build ships, one line each. Order matters only where noted: hooks run in
// this order, and module migrations keep their own version numbers wherever the module is listed.
import type { FeatureModule } from '../kernel/module.js';
import { accountModule } from './account/index.js';
import { browserSessionsModule } from './browser-sessions/index.js';
import { consoleModule } from './console/index.js';
import { emailSignInModule } from './email-signin/index.js';
import { emailVerificationModule } from './email-verification/index.js';
import { invitationsModule } from './invitations/index.js';
import { mfaModule } from './mfa/index.js';
import { passkeysModule } from './passkeys/index.js';
import { passwordResetModule } from './password-reset/index.js';
import { rbacModule } from './rbac/index.js';
import { socialModule } from './social/index.js';
import { usersAdminModule } from './users-admin/index.js';
import { webhooksModule } from './webhooks/index.js';

export const featureModules: readonly FeatureModule[] = [
  emailVerificationModule,
  passwordResetModule,
  browserSessionsModule,
  accountModule,
  mfaModule,
  emailSignInModule,
  passkeysModule,
  socialModule,
  usersAdminModule,
  webhooksModule,
  rbacModule,
  invitationsModule,
  consoleModule,
];
