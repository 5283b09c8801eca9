// The password pages: "forgot your password?" (asks for a reset link) and the page the link opens. A link is
// checked when the page opens, without being spent, so a dead one is said before a password is typed.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../../errors.js';
import {
  csrfValid,
  currentInteraction,
  pageContext,
  sendErrorPage,
  sendHtml,
} from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { Csrf, Email, InteractionId, InteractionQuery, Password, TenantParams } from '../../http/schemas.js';
import type { PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { PasswordReset } from './service.js';
import { forgotPage, resetLinkDeadPage, resetPasswordPage } from './views.js';

/** The token of an emailed link as it arrives; the service decides whether it is one. */
const LinkToken = Type.String({ maxLength: 1000 });

/** Registered with the core hosted pages, inside their scope (form bodies, error pages). */
export const passwordPageRoutes =
  (reset: PasswordReset): FastifyPluginAsync<{ kit: PageKit }> =>
  async (app, { kit: options }) => {
    const { tenants } = options;
    const tenant = (request: FastifyRequest) => tenantOf(request, tenants);
    const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
      pageContext(options, request, reply, t);
    const formExpired = (reply: FastifyReply, t: Tenant) =>
      sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');

    // An app flow's interaction rides along only for the way back to its sign-in; an expired one is dropped
    // (asking for a reset link must work whatever happened to the sign-in request).
    const liveInteraction = (request: FastifyRequest, t: Tenant, id: string | undefined) =>
      id && currentInteraction(options, request, t, id) ? id : undefined;

    app.get(
      '/forgot',
      { schema: { params: TenantParams, querystring: InteractionQuery } },
      async (request, reply) => {
        const t = await tenant(request);
        const interaction = liveInteraction(
          request,
          t,
          (request.query as { interaction?: string }).interaction,
        );
        return sendHtml(reply, 200, forgotPage(ctxOf(request, reply, t), { interaction }));
      },
    );

    app.post(
      '/forgot',
      {
        schema: {
          params: TenantParams,
          body: Type.Object({
            email: Email,
            csrf_token: Type.Optional(Csrf),
            interaction: Type.Optional(InteractionId),
          }),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body as { email: string; csrf_token?: string; interaction?: string };
        if (!csrfValid(options, request, t, body.csrf_token)) return formExpired(reply, t);
        const interaction = liveInteraction(request, t, body.interaction);
        try {
          await reset.forgot(t, body.email, metaOf(request));
        } catch (error) {
          if (!(error instanceof HelloJohnError) || error.code !== 'rate_limited') throw error;
          return sendHtml(
            reply,
            429,
            forgotPage(ctxOf(request, reply, t), {
              interaction,
              email: body.email,
              error: error.description,
            }),
          );
        }
        return sendHtml(reply, 200, forgotPage(ctxOf(request, reply, t), { interaction, sent: true }));
      },
    );

    app.get(
      '/reset-password',
      // Any string up to the limit: a malformed token is a dead link like any other, said in the same words.
      { schema: { params: TenantParams, querystring: Type.Object({ token: Type.Optional(LinkToken) }) } },
      async (request, reply) => {
        const t = await tenant(request);
        const token = (request.query as { token?: string }).token ?? '';
        const ctx = ctxOf(request, reply, t);
        if (!(await reset.linkLive(t, token))) return sendHtml(reply, 400, resetLinkDeadPage(ctx));
        return sendHtml(reply, 200, resetPasswordPage(ctx, { token }));
      },
    );

    app.post(
      '/reset-password',
      {
        schema: {
          params: TenantParams,
          body: Type.Object({
            token: LinkToken,
            password: Password,
            confirm: Type.Optional(Password),
            csrf_token: Type.Optional(Csrf),
          }),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body as {
          token: string;
          password: string;
          confirm?: string;
          csrf_token?: string;
        };
        if (!csrfValid(options, request, t, body.csrf_token)) return formExpired(reply, t);
        const ctx = ctxOf(request, reply, t);
        if (body.confirm !== undefined && body.confirm !== body.password)
          return sendHtml(
            reply,
            400,
            resetPasswordPage(ctx, { token: body.token, error: 'The two passwords do not match.' }),
          );
        try {
          await reset.reset(t, body.token, body.password, metaOf(request));
        } catch (error) {
          if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
          if (error.code === 'invalid_grant') return sendHtml(reply, 400, resetLinkDeadPage(ctx));
          return sendHtml(
            reply,
            400,
            resetPasswordPage(ctx, { token: body.token, error: error.description }),
          );
        }
        return sendHtml(reply, 200, resetPasswordPage(ctx, { token: '', done: true }));
      },
    );
  };
