// The hosted pages of sign-in by email: ask for a link (/email-link) or a code (/email-code), and the page a
// link opens (/v2/auth/magic-link/verify). Usable without JavaScript; every form CSRF-protected; during an
// authorization its interaction rides along, and a sign-in continues it like the password form does (the
// second step included).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Login } from '../../auth/login.js';
import { HelloJohnError } from '../../errors.js';
import {
  checkPageForm,
  csrfValid,
  currentInteraction,
  pageContext,
  sendErrorPage,
  sendHtml,
} from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, redirect, tenantPath } from '../../http/schemas/common.js';
import { InteractionQuery, pageAnswers } from '../../http/schemas/pages.js';
import type { PageKit } from '../../kernel/module.js';
import type { Interaction } from '../../oauth/interaction.js';
import type { Tenant } from '../../tenants/tenants.js';
import { AskForm, LinkForm, LinkQuery } from './schemas.js';
import { EMAIL_METHODS, EXCHANGE_TTL_MS, type EmailMethod, type EmailSignIn } from './service.js';
import {
  METHOD_PAGES,
  appCodePage,
  askEmailPage,
  enterCodePage,
  linkDeadPage,
  linkPage,
  linkSentPage,
} from './views.js';

export function emailSignInPages(
  signIn: EmailSignIn,
  login: Login,
  codeLength: number,
): FastifyPluginAsync<{ kit: PageKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const page = { tags: ['pages'], params: tenantPath(app.prefix, {}) };
    const form = { ...page, consumes: FORM };
    const continues = redirect('Signed in: on to the authorization in progress, or to /login.');
    const tenant = (request: FastifyRequest) => tenantOf(request, kit.tenants);
    const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
      pageContext(kit, request, reply, t);
    const targetOf = (interaction: Interaction | null) => interaction?.params.redirect_uri;
    /** A method the tenant does not offer has no pages: said as a missing page. */
    const notOffered = (reply: FastifyReply, t: Tenant, method: EmailMethod) =>
      sendErrorPage(reply, t, 'not_found', `The tenant does not offer ${method}.`);
    /** A failure a page shows in its own words, with the error's status and headers (Retry-After). */
    const shown = (error: unknown, codes: readonly string[]): HelloJohnError => {
      if (error instanceof HelloJohnError && codes.includes(error.code)) return error;
      throw error;
    };

    for (const method of EMAIL_METHODS) {
      const path = METHOD_PAGES[method].path;
      app.get(
        path,
        {
          schema: {
            ...page,
            summary: `The ${METHOD_PAGES[method].title.toLowerCase()} page`,
            querystring: InteractionQuery,
            response: pageAnswers(),
          },
        },
        async (request, reply) => {
          const t = await tenant(request);
          if (!signIn.offers(t, method)) return notOffered(reply, t, method);
          const id = request.query.interaction;
          const interaction = id ? currentInteraction(kit, request, t, id) : null;
          return sendHtml(
            reply,
            200,
            askEmailPage(ctxOf(request, reply, t), method, { interaction: interaction?.id }),
          );
        },
      );
    }

    app.post(
      '/email-link',
      {
        schema: {
          ...form,
          summary: 'Email a sign-in link for this browser',
          description: 'Says the link is sent whether or not the address has an account.',
          body: AskForm,
          response: pageAnswers(
            { 403: 'The form expired.', 429: 'The page again: too many requests.' },
            [413, 415],
          ),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!signIn.offers(t, 'magic_link')) return notOffered(reply, t, 'magic_link');
        const body = request.body;
        const checked = checkPageForm(kit, request, reply, t, body);
        if (!checked.ok) return reply;
        const interaction = checked.interaction?.id;
        const ctx = ctxOf(request, reply, t);
        try {
          const sent = await signIn.sendLink(
            t,
            body.email,
            { interactionId: interaction ?? null },
            metaOf(request),
          );
          const expiresInMinutes = Math.round(sent.expiresInSeconds / 60);
          return sendHtml(
            reply,
            200,
            linkSentPage(ctx, { interaction, email: body.email, expiresInMinutes }),
          );
        } catch (error) {
          const failure = shown(error, ['rate_limited']);
          const again = askEmailPage(ctx, 'magic_link', {
            interaction,
            email: body.email,
            error: failure.description,
          });
          return sendHtml(reply.headers(failure.headers), failure.status, again);
        }
      },
    );

    app.post(
      '/email-code',
      {
        schema: {
          ...form,
          summary: 'Email a sign-in code, or sign in with it',
          description:
            '`action=send` mails a code (the same page whether or not the address has an account); ' +
            '`action=verify` signs in with `code` and continues the authorization in progress.',
          body: AskForm,
          response: {
            ...pageAnswers(
              {
                200: 'The code page, or the second-step page, or the form_post page of the authorization.',
                401: 'The code page again: the code is not correct or has expired.',
                403: 'The form expired, or the account is blocked.',
                429: 'The page again: too many requests (Retry-After).',
              },
              [413, 415],
            ),
            303: continues,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!signIn.offers(t, 'email_otp')) return notOffered(reply, t, 'email_otp');
        const body = request.body;
        const checked = checkPageForm(kit, request, reply, t, body);
        if (!checked.ok) return reply;
        const interaction = checked.interaction;
        const ctx = ctxOf(request, reply, t);
        const view = { interaction: interaction?.id, email: body.email, length: codeLength };
        const meta = metaOf(request);
        /** A refusal shown on the page it came from: the email form, or the code form. */
        const again = (error: unknown) => {
          const failure = shown(error, ['invalid_credentials', 'rate_limited', 'access_denied']);
          const page =
            body.action === 'send'
              ? askEmailPage(ctx, 'email_otp', { ...view, error: failure.description })
              : enterCodePage(ctx, { ...view, error: failure.description });
          return sendHtml(reply.headers(failure.headers), failure.status, page, {
            formTarget: targetOf(interaction),
          });
        };
        if (body.action === 'send') {
          try {
            await signIn.sendCode(t, body.email, meta);
          } catch (error) {
            return again(error);
          }
          return sendHtml(reply, 200, enterCodePage(ctx, { ...view, sent: true }));
        }
        return kit.finishSignIn(
          request,
          reply,
          t,
          { interaction },
          () =>
            login.browser(t, signIn.emailCode, { email: body.email, code: body.code ?? '' }, meta, 'page'),
          again,
        );
      },
    );

    app.get(
      '/v2/auth/magic-link/verify',
      {
        schema: {
          ...page,
          summary: 'The page a sign-in link opens',
          description:
            'Spends nothing: its button does (so mail scanners that open links cannot use them up). A link ' +
            'asked for in another browser says so, and offers to sign in here without the authorization.',
          // Any string up to the limit: a malformed token is a dead link like any other, said in the same words.
          querystring: LinkQuery,
          response: pageAnswers({ 400: 'The link is invalid, expired or used.' }),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!signIn.offers(t, 'magic_link')) return notOffered(reply, t, 'magic_link');
        const token = request.query.token ?? '';
        const ctx = ctxOf(request, reply, t);
        const state = await signIn.linkState(t, token);
        if (!state) return sendHtml(reply, 400, linkDeadPage(ctx, {}));
        if (state.kind === 'app') return sendHtml(reply, 200, linkPage(ctx, { ...state, token }));
        // The authorization it was asked for goes on only in the browser that holds it.
        const interaction = state.interactionId
          ? currentInteraction(kit, request, t, state.interactionId)
          : null;
        const here = state.interactionId === null || interaction !== null;
        return sendHtml(
          reply,
          200,
          linkPage(ctx, {
            token,
            email: state.email,
            kind: here ? 'here' : 'elsewhere',
            interaction: interaction?.id,
          }),
          { formTarget: targetOf(interaction) },
        );
      },
    );

    app.post(
      '/v2/auth/magic-link/verify',
      {
        schema: {
          ...form,
          summary: 'Use a sign-in link (the button of its page)',
          description:
            'A link asked for on these pages signs this browser in and continues the authorization it was ' +
            'asked for, when this browser holds it. A link asked for by an app shows the code that app exchanges.',
          body: LinkForm,
          response: {
            ...pageAnswers(
              {
                200: 'The code for the app, the second-step page, or the form_post page of the authorization.',
                400: 'The link is invalid, expired or used.',
                403: 'The form expired, or the account is blocked.',
                429: 'Too many requests (Retry-After).',
              },
              [413, 415],
            ),
            303: continues,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!signIn.offers(t, 'magic_link')) return notOffered(reply, t, 'magic_link');
        const body = request.body;
        if (!csrfValid(kit, request, t, body.csrf_token))
          return sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
        const ctx = ctxOf(request, reply, t);
        const meta = metaOf(request);
        /** A dead link, or a refusal, in the same words. */
        const dead = (error: unknown) => {
          const failure = shown(error, ['invalid_grant', 'access_denied', 'rate_limited']);
          const page = linkDeadPage(
            ctx,
            failure.code === 'invalid_grant' ? {} : { error: failure.description },
          );
          return sendHtml(reply.headers(failure.headers), failure.status, page);
        };
        let state: Awaited<ReturnType<typeof signIn.linkState>>;
        try {
          state = await signIn.linkState(t, body.token);
          if (!state) return sendHtml(reply, 400, linkDeadPage(ctx, {}));
          if (state.kind === 'app') {
            const { code } = await signIn.approve(t, body.token, meta);
            const expiresInMinutes = EXCHANGE_TTL_MS / 60_000;
            return sendHtml(reply, 200, appCodePage(ctx, { code, expiresInMinutes }));
          }
        } catch (error) {
          return dead(error);
        }
        // An interaction that expired meanwhile (or another one) is left alone: this browser signs in.
        const held =
          state.interactionId !== null && body.interaction === state.interactionId
            ? currentInteraction(kit, request, t, body.interaction)
            : null;
        return kit.finishSignIn(
          request,
          reply,
          t,
          { interaction: held },
          () => login.browser(t, signIn.magicLink, { token: body.token }, meta, 'page'),
          dead,
        );
      },
    );
  };
}
