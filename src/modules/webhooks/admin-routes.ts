// Admin API: a tenant's webhook endpoints, their secrets, their delivery log, test events and replays.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { metaOf } from '../../http/context.js';
import { TenantParams } from '../../http/schemas/admin.js';
import { BODY_ERRORS, SECURITY, errors, noContent } from '../../http/schemas/common.js';
import type { AdminKit } from '../../kernel/module.js';
import type { Tenants } from '../../tenants/tenants.js';
import {
  DeliveryJson,
  DeliveryPage,
  DeliveryParams,
  DeliveryQuery,
  EndpointJson,
  EndpointList,
  EndpointWithSecret,
  NewEndpointBody,
  UpdateEndpointBody,
  WebhookParams,
} from './schemas.js';
import type { Actor, Webhooks } from './service.js';

export function webhookAdminRoutes(
  webhooks: Webhooks,
  tenants: Tenants,
): FastifyPluginAsync<{ kit: AdminKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['admin'], security: SECURITY.adminToken };
    const actor = (request: FastifyRequest): Actor => {
      const meta = metaOf(request);
      return {
        via: 'admin_api',
        adminId: kit.admin(request).id,
        meta: { ip: meta.ip, userAgent: meta.userAgent },
      };
    };
    const base = '/v2/admin/tenants/:tenant/webhooks';

    app.get(
      base,
      {
        schema: {
          ...common,
          summary: "The tenant's webhook endpoints",
          params: TenantParams,
          response: { 200: EndpointList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return { webhooks: await webhooks.list(await tenants.resolve(request.params.tenant)) };
      },
    );

    app.post(
      base,
      {
        schema: {
          ...common,
          summary: 'Create a webhook endpoint',
          description:
            'Events of the tenant that match `events` are POSTed to `url`, signed with the secret in the ' +
            'answer (shown once; stored sealed). 400 `invalid_request` for an internal address (SSRF) or ' +
            'a bad filter; 409 `conflict` past 20 endpoints. Audited (`webhook.created`).',
          params: TenantParams,
          body: NewEndpointBody,
          response: { 201: EndpointWithSecret, ...errors(...BODY_ERRORS, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return reply.code(201).send(await webhooks.create(tenant, request.body, who));
      },
    );

    app.get(
      `${base}/:id`,
      {
        schema: {
          ...common,
          summary: 'A webhook endpoint',
          params: WebhookParams,
          response: { 200: EndpointJson, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        return webhooks.get(await tenants.resolve(request.params.tenant), request.params.id);
      },
    );

    app.put(
      `${base}/:id`,
      {
        schema: {
          ...common,
          summary: 'Change a webhook endpoint',
          description: 'Members left out stay as they are. Audited (`webhook.updated`).',
          params: WebhookParams,
          body: UpdateEndpointBody,
          response: { 200: EndpointJson, ...errors(...BODY_ERRORS, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return webhooks.update(tenant, request.params.id, request.body, who);
      },
    );

    app.delete(
      `${base}/:id`,
      {
        schema: {
          ...common,
          summary: 'Delete a webhook endpoint',
          description: 'Its deliveries (pending ones too) go with it. Audited (`webhook.deleted`).',
          params: WebhookParams,
          response: { 204: noContent('Deleted.'), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        await webhooks.remove(tenant, request.params.id, who);
        return reply.code(204).send();
      },
    );

    app.post(
      `${base}/:id/rotate-secret`,
      {
        schema: {
          ...common,
          summary: "Replace a webhook endpoint's signing secret",
          description:
            'The new secret (shown once) signs every delivery from now on, retries included. Audited ' +
            '(`webhook.secret_rotated`).',
          params: WebhookParams,
          response: { 200: EndpointWithSecret, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return webhooks.rotateSecret(tenant, request.params.id, who);
      },
    );

    app.post(
      `${base}/:id/test`,
      {
        schema: {
          ...common,
          summary: 'Send a test event to a webhook endpoint',
          description:
            'Queues a `webhook.test` event to this endpoint only, whatever its filter; the answer is the ' +
            'delivery (follow it in the delivery log). 409 `conflict` when the endpoint is disabled. ' +
            'Audited (`webhook.tested`).',
          params: WebhookParams,
          response: { 202: DeliveryJson, ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return reply.code(202).send(await webhooks.test(tenant, request.params.id, who));
      },
    );

    app.get(
      `${base}/:id/deliveries`,
      {
        schema: {
          ...common,
          summary: "A webhook endpoint's delivery log",
          description:
            "Newest first, with each delivery's attempts (status code, error, duration). `status` filters; " +
            "`cursor` is the previous page's `next_cursor`. Delivered and failed deliveries are kept for " +
            'WEBHOOK_RETENTION.',
          params: WebhookParams,
          querystring: DeliveryQuery,
          response: { 200: DeliveryPage, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        kit.admin(request);
        const tenant = await tenants.resolve(request.params.tenant);
        const { status, cursor, limit } = request.query;
        return webhooks.deliveries(tenant, request.params.id, {
          status,
          cursor,
          limit: limit === undefined ? undefined : Number(limit),
        });
      },
    );

    app.post(
      `${base}/:id/deliveries/:delivery_id/replay`,
      {
        schema: {
          ...common,
          summary: 'Send a delivery again',
          description:
            'Queues a new delivery (a new X-HelloJohn-Delivery-ID, `replay_of` the original) of the same ' +
            'event with the same body, signed anew. 409 `conflict` while the original is still pending, or ' +
            'when the endpoint is disabled. Audited (`webhook.replayed`).',
          params: DeliveryParams,
          response: { 202: DeliveryJson, ...errors(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const who = actor(request);
        const tenant = await tenants.resolve(request.params.tenant);
        return reply
          .code(202)
          .send(await webhooks.replay(tenant, request.params.id, request.params.delivery_id, who));
      },
    );
  };
}
