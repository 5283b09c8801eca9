// Multi-factor authentication: TOTP and recovery codes as second factors, the tenant's MFA policy
// (off / optional / required, allowed factors, trusted devices, adaptive rules), the account API and the
// account page's "Two-step sign-in" card to set factors up and remove them, and the admin's reset and
// policy (admin API and CLI). Email and SMS codes live in ./codes/ and join `managed` below.
import { defineModule } from '../../kernel/module.js';
import { mfaAccountSection } from './account-section.js';
import { mfaAdminRoutes } from './admin-routes.js';
import { mfaCommandHandlers, mfaCommands } from './cli.js';
import { codeAuditEvents, codesMigration, setupCodeFactors } from './codes/index.js';
import { mfaEvents } from './events.js';
import type { ManagedFactor } from './factors.js';
import { enrolledFunctions, migration } from './migration.js';
import { mfaPageRoutes } from './pages.js';
import { MfaSecondStepPolicy } from './policy.js';
import { RecoveryCodes } from './recovery-codes.js';
import { exportMfaData } from './repository.js';
import { mfaRoutes } from './routes.js';
import { Mfa } from './service.js';
import { TotpFactor } from './totp.js';

export const mfaModule = defineModule({
  id: 'mfa',
  migrations: [migration, codesMigration, enrolledFunctions],
  auditEvents: [...Object.values(mfaEvents), ...codeAuditEvents],
  commands: mfaCommands,
  setup(core) {
    const { db, config } = core;
    const secretboxMasterKey = core.secretboxMasterKey;
    const recoveryCodes = new RecoveryCodes(db, secretboxMasterKey);
    const totp = new TotpFactor({
      db,
      config: config.mfa,
      secretboxMasterKey,
      hasConfirmedFactor: (tenant, userId) => mfa.hasConfirmedFactor(tenant, userId),
      firstFactorRecoveryCodes: (tenant, userId) => mfa.firstFactorRecoveryCodes(tenant, userId),
    });
    // The order factors are offered in; fallbacks last.
    // Called only at request time, once `mfa` exists.
    const codes = setupCodeFactors(core, (tenant, factor) => mfa.requireAllowed(tenant, factor));
    const managed: readonly ManagedFactor[] = [totp, ...codes.factors, recoveryCodes];
    const policy = new MfaSecondStepPolicy({
      db,
      config: config.mfa,
      secretboxMasterKey,
      // Every factor of the build (a module other than this one may add its own), in registration order.
      factors: () => core.secondFactors,
    });
    const mfa: Mfa = new Mfa({
      db,
      tenants: core.tenants,
      recentSignIn: core.recentSignIn,
      totp,
      recoveryCodes,
      managed: () => managed,
      policy,
    });
    return {
      secondFactors: managed.map((m) => m.factor),
      pages: { accountSections: [mfaAccountSection(mfa)] },
      pageRoutes: mfaPageRoutes(mfa, codes.enrollment, core.recentSignIn),
      secondStepPolicy: policy,
      routes: async (app, options) => {
        await app.register(mfaRoutes(mfa, core.login), options);
        await app.register(codes.routes, options);
      },
      sweeperJobs: codes.sweeperJobs,
      adminRoutes: mfaAdminRoutes(mfa, core.tenants),
      commands: mfaCommandHandlers(mfa),
      userExport: (tx, tenant, userId) => exportMfaData(tx, tenant.id, userId),
    };
  },
});
