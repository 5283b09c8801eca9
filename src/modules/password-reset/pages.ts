// The password pages: "forgot your password?" (asks for a reset link) and the page the link opens. A link is
// checked when the page opens, without being spent, so a dead one is said before a password is typed.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
import { FORM, tenantPath } from '../../http/schemas/common.js';
import {
  ForgotForm,
  InteractionQuery,
  LinkToken,
  ResetPasswordForm,
  pageAnswers,
} from '../../http/schemas/pages.js';
import type { PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { PasswordReset } from './service.js';
import { forgotPage, resetLinkDeadPage, resetPasswordPage } from './views.js';

/** Registered with the core hosted pages, inside their scope (form bodies, error pages). */
export const passwordPageRoutes =
  (reset: PasswordReset): FastifyPluginAsync<{ kit: PageKit }> =>
  async (plugin, { kit: options }) => {
    const { tenants } = options;
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const page = { tags: ['pages'], params: tenantPath(app.prefix, {}) };
    const form = { ...page, consumes: FORM };
    const expired = { 403: 'The form expired (its CSRF token is not valid).' };
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
      {
        schema: {
          ...page,
          summary: 'The forgot-your-password page',
          querystring: InteractionQuery,
          response: pageAnswers(),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const interaction = liveInteraction(request, t, request.query.interaction);
        return sendHtml(reply, 200, forgotPage(ctxOf(request, reply, t), { interaction }));
      },
    );

    app.post(
      '/forgot',
      {
        schema: {
          ...form,
          summary: 'Ask for a password-reset link (the forgot form)',
          description: 'Says the link is sent whether or not the address has an account.',
          body: ForgotForm,
          response: pageAnswers({ ...expired, 429: 'The page again: too many requests.' }, [413, 415]),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
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
      {
        schema: {
          ...page,
          summary: 'The page a password-reset link opens',
          // Any string up to the limit: a malformed token is a dead link like any other, said in the same words.
          querystring: Type.Object({ token: Type.Optional(LinkToken) }),
          response: pageAnswers(),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const token = request.query.token ?? '';
        const ctx = ctxOf(request, reply, t);
        if (!(await reset.linkLive(t, token))) return sendHtml(reply, 400, resetLinkDeadPage(ctx));
        return sendHtml(reply, 200, resetPasswordPage(ctx, { token }));
      },
    );

    app.post(
      '/reset-password',
      {
        schema: {
          ...form,
          summary: 'Set a new password (the reset form)',
          body: ResetPasswordForm,
          response: pageAnswers(expired, [413, 415, 429]),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
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
