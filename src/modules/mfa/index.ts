// Multi-factor authentication: TOTP and recovery codes as second factors, the tenant's MFA policy
// (off / optional / required, allowed factors, trusted devices, adaptive rules), the account API to set
// factors up and remove them, and the admin's reset. Email and SMS codes live in ./codes/.
import { defineModule } from '../../kernel/module.js';
import { codeAuditEvents, codesMigration, setupCodeFactors } from './codes/index.js';
import { mfaEvents } from './events.js';
import { migration } from './migration.js';

export const mfaModule = defineModule({
  id: 'mfa',
  migrations: [migration, codesMigration],
  auditEvents: [...Object.values(mfaEvents), ...codeAuditEvents],
  setup(core) {
    const codes = setupCodeFactors(core);
    return {
      secondFactors: codes.factors.map((f) => f.factor),
      routes: codes.routes,
      sweeperJobs: codes.sweeperJobs,
    };
  },
});
