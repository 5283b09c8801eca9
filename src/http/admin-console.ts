// Admin routes the console's tenant screens need beyond the settings themselves: the live preview of the
// sign-in page with unsaved branding, a test mail through the tenant's SMTP server, the tenant's overview
// numbers, and the installation's health. Registered in the admin scope (src/http/admin.ts: the key and
// its scope are checked before these run); the rules are in src/admin/tenant-overview.ts and
// src/admin/smtp-test.ts, the page itself is the hosted pages' own (loginPagePreview).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SmtpTest } from '../admin/smtp-test.js';
import { STATS_DAYS, installationHealth, tenantStats, type HealthDeps } from '../admin/tenant-overview.js';
import { HelloJohnError } from '../errors.js';
import type { AdminKit } from '../kernel/module.js';
import { Branding } from '../tenants/settings-schema.js';
import { validateSettingsPatch } from '../tenants/settings.js';
import type { Tenants } from '../tenants/tenants.js';
import { loginPagePreview, type HostedPagesOptions } from './hosted-pages.js';
import { TenantParams } from './schemas/admin.js';
import { BODY_ERRORS, SECURITY, StringEnum, errors } from './schemas/common.js';

export interface AdminConsoleRoutesOptions {
  tenants: Tenants;
  smtpTest: SmtpTest;
  health: HealthDeps;
  /** What feature modules add to the sign-in page (the preview shows their buttons too). */
  signInPage: HostedPagesOptions['signInPage'];
}

const Count = Type.Integer({ minimum: 0 });
const StatsJson = Type.Object({
  days: Type.Array(
    Type.Object({
      date: Type.String({ description: 'A UTC day, YYYY-MM-DD.' }),
      sign_ins: Count,
      failed_sign_ins: Count,
    }),
    { description: `The last ${STATS_DAYS} UTC days, oldest first, today last.` },
  ),
  totals: Type.Object({ sign_ins: Count, failed_sign_ins: Count }),
  active_sessions: Type.Integer({
    minimum: 0,
    description: 'Sign-in sessions neither ended nor expired (not the OAuth sessions issued in them).',
  }),
  users: Count,
});

const HealthJson = Type.Object({
  database: Type.Object({
    status: StringEnum(['ok', 'unavailable']),
    kind: StringEnum(['postgres', 'pglite']),
  }),
  redis: Type.Object({ status: StringEnum(['ok', 'unavailable', 'not_configured']) }),
  migrations: Type.Object({
    status: StringEnum(['ok', 'pending', 'mismatch', 'unknown'], {
      description:
        'pending: run hellojohn migrate; mismatch: an applied migration was edited or is unknown to this ' +
        'release; unknown: the database did not answer.',
    }),
    applied: Count,
    pending: Count,
  }),
  signing_keys: Type.Object({
    status: StringEnum(['ok', 'due', 'none'], {
      description: 'due: a tenant’s key is older than KEY_ROTATION_INTERVAL; none: no tenant has a key yet.',
    }),
    oldest_active_age_days: Type.Union([Count, Type.Null()], {
      description: 'Age of the oldest key still signing (the tenant that rotated least recently).',
    }),
    rotation_interval_days: Type.Union([Type.Number(), Type.Null()], {
      description: 'KEY_ROTATION_INTERVAL; null: rotated by hand only.',
    }),
  }),
});

export function adminConsoleRoutes(
  options: AdminConsoleRoutesOptions,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const { tenants, smtpTest, health, signInPage } = options;
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };

    app.post(
      '/v2/admin/tenants/:tenant/branding/preview',
      {
        schema: {
          ...common,
          summary: 'The sign-in page with this branding, unsaved (a preview)',
          description:
            'The body is a `branding` setting, checked by the same rules as saving it (400 otherwise); ' +
            'nothing is stored. The answer is the tenant’s real sign-in page (with what its modules add) ' +
            'as HTML, inert: no CSRF token, no scripts. For an `<iframe sandbox srcdoc>`: the hosted pages ' +
            'themselves refuse to be framed. A POST, so a read-only key may not call it.',
          params: TenantParams,
          body: Branding,
          response: {
            200: Type.Unsafe<string>({
              description: 'text/html: the sign-in page.',
              content: { 'text/html': { schema: { type: 'string' } } },
            }),
            ...errors(...BODY_ERRORS, 401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const branding = validateSettingsPatch({ branding: request.body }).branding ?? null;
        return reply.type('text/html; charset=utf-8').send(loginPagePreview(signInPage, tenant, branding));
      },
    );

    app.post(
      '/v2/admin/tenants/:tenant/smtp/test',
      {
        schema: {
          ...common,
          summary: 'Send a test mail through the tenant’s SMTP server',
          description:
            'Sent at once (not queued) through the stored `settings.smtp`, so the answer is the server’s: ' +
            '502 `bad_gateway` with its reason (never the credentials) when it refuses or does not answer. ' +
            '409 when the tenant has no SMTP server of its own. At most 5 per tenant per minute (429). Only a ' +
            'full admin key, like changing the setting (403).',
          params: TenantParams,
          body: Type.Object(
            { to: Type.String({ minLength: 3, maxLength: 320, description: 'One email address.' }) },
            { additionalProperties: Type.Never() },
          ),
          response: {
            200: Type.Object({ status: StringEnum(['sent']), to: Type.String() }),
            ...errors(...BODY_ERRORS, 401, 403, 404, 409, 429, 502),
          },
        },
      },
      async (request) => {
        // The server's answer says what is listening where: like the setting, for the operator only.
        if (kit.admin(request).scope !== 'admin')
          throw new HelloJohnError('access_denied', 'Only a full admin key may send a test mail.');
        const tenant = await tenants.resolve(request.params.tenant);
        return smtpTest.send(tenant, request.body.to);
      },
    );

    app.get(
      '/v2/admin/tenants/:tenant/stats',
      {
        schema: {
          ...common,
          summary: 'The tenant’s overview: sign-ins per day, sessions, users',
          description:
            `Sign-ins (audit \`user.login\`, any method) and failed sign-ins (\`login.failed\`, ` +
            `\`login.blocked\`, \`login.second_step_failed\`) per UTC day over the last ${STATS_DAYS} days, ` +
            'from the audit trail (so within its retention); sessions in use now; users.',
          params: TenantParams,
          response: { 200: StatsJson, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return tenantStats(health.db, await tenants.resolve(request.params.tenant));
      },
    );

    app.get(
      '/v2/admin/health',
      {
        schema: {
          ...common,
          summary: 'The installation’s health: database, Redis, migrations, signing keys',
          description:
            'Each part is checked on its own and reported, never a 5xx for one being down (unlike /ready, ' +
            'which a load balancer reads). Installation-wide: not for a tenant key (403).',
          response: { 200: HealthJson, ...errors(401, 403) },
        },
      },
      async (request) => {
        kit.admin(request);
        return installationHealth(health);
      },
    );
  };
}
