// Signed webhooks: per-tenant endpoints that receive the tenant's events (the audit events the product
// records: user.registered, user.login, login.failed, password.changed, mfa.*, session.revoked, …),
// written to an outbox in the transaction of the change (a trigger on audit_events, migration 16) and
// POSTed by a worker on every instance, signed (X-HelloJohn-Signature), retried with backoff, logged and
// replayable. See docs/admin.md#webhooks.
import { defineModule } from '../../kernel/module.js';
import { webhookAdminRoutes } from './admin-routes.js';
import { webhookCommandHandlers, webhookCommands } from './cli.js';
import { webhookEvents } from './events.js';
import { migration } from './migration.js';
import { deleteCompletedBatch } from './repository.js';
import { Webhooks } from './service.js';
import { DeliveryWorker } from './worker.js';

export const webhooksModule = defineModule({
  id: 'webhooks',
  migrations: [migration],
  auditEvents: Object.values(webhookEvents),
  commandGroups: [
    { name: 'webhooks', description: 'signed webhooks of a tenant: endpoints that receive its events' },
  ],
  commands: webhookCommands,
  setup(core) {
    const config = core.config.webhooks;
    const webhooks = new Webhooks({ db: core.db, config, secretboxMasterKey: core.secretboxMasterKey });
    return {
      adminRoutes: webhookAdminRoutes(webhooks, core.tenants),
      commands: webhookCommandHandlers(webhooks),
      workers: [new DeliveryWorker({ db: core.db, config, webhooks, logger: core.logger })],
      sweeperJobs: [
        {
          name: 'webhook_deliveries',
          run: (db, batchSize) => deleteCompletedBatch(db, config.retentionMs, batchSize),
        },
      ],
    };
  },
});
