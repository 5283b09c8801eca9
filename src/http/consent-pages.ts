// The consent page: what a third-party client asks for, allowed or denied by the signed-in user ("Not
// you?" signs out and starts the same authorization again). Registered with the hosted pages, in their
// scope (form bodies, errors as pages).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { PageKit } from '../kernel/module.js';
import type { Tenant } from '../tenants/tenants.js';
import {
  basePath,
  checkPageForm,
  currentInteraction,
  currentSession,
  interactionExpired,
  pageContext,
  sendErrorPage,
  sendHtml,
  sendOutcome,
  signedIn,
} from './authorization-flow.js';
import { metaOf, tenantOf } from './context.js';
import { FORM, SECURITY, redirect, tenantPath } from './schemas/common.js';
import { ConsentForm, InteractionQuery, pageAnswers } from './schemas/pages.js';
import { SCOPE_DESCRIPTIONS, consentPage } from './views/pages.js';

export const consentPageRoutes: FastifyPluginAsync<{ kit: PageKit }> = async (plugin, { kit: options }) => {
  const { oauth, cookies } = options;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const params = tenantPath(app.prefix, {});
  const page = { tags: ['pages'], security: SECURITY.sessionCookieOrNone, params };
  const form = { ...page, consumes: FORM };
  const tenant = (request: FastifyRequest) => tenantOf(request, options.tenants);
  const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
    pageContext(options, request, reply, t);
  const checkForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    body: { csrf_token?: string; interaction?: string },
  ) => checkPageForm(options, request, reply, t, body);

  const showConsent = async (request: FastifyRequest, reply: FastifyReply, id: string | undefined) => {
    const t = await tenant(request);
    const interaction = currentInteraction(options, request, t, id);
    if (!interaction) return interactionExpired(reply, t);
    const session = await currentSession(options, request, t);
    const outcome = await oauth.authorize(
      t,
      interaction.params,
      session ? signedIn(session) : null,
      interaction,
    );
    if (outcome.kind !== 'consent' || !session) return sendOutcome(options, reply, t, outcome);
    const page = consentPage(ctxOf(request, reply, t), {
      interaction: interaction.id,
      clientName: outcome.client.name,
      userEmail: session.email,
      scopes: outcome.scopes.map((name) => ({
        name,
        description: Object.hasOwn(SCOPE_DESCRIPTIONS, name) ? SCOPE_DESCRIPTIONS[name]! : '',
      })),
    });
    return sendHtml(reply, 200, page, { formTarget: outcome.interaction.params.redirect_uri });
  };

  const decideConsent = async (
    request: FastifyRequest,
    reply: FastifyReply,
    body: Static<typeof ConsentForm>,
  ) => {
    const t = await tenant(request);
    const form = checkForm(request, reply, t, body);
    if (!form.ok) return reply;
    const session = await currentSession(options, request, t);
    if (!session || !form.interaction)
      return sendErrorPage(reply, t, 'signed_out', 'Consent answered without a browser session.');
    if (body.decision === 'switch_account') {
      // "Not you?": this browser's session ends; the same authorization request starts again at sign-in.
      await options.browserSessions.end(t, session, metaOf(request));
      cookies.clear(reply, 'session', t);
      return reply.redirect(
        `${basePath(t)}/login?interaction=${encodeURIComponent(form.interaction.id)}`,
        303,
      );
    }
    const outcome = await oauth.consent(
      t,
      form.interaction,
      signedIn(session),
      body.decision,
      metaOf(request),
    );
    return sendOutcome(options, reply, t, outcome);
  };

  const onward = redirect('On to the client with the result, or to the sign-in page.');
  for (const path of ['/consent', '/oauth2/consent']) {
    app.get(
      path,
      {
        schema: {
          ...page,
          summary: 'The consent page',
          querystring: InteractionQuery,
          response: { ...pageAnswers(), 303: onward },
        },
      },
      (request, reply) => showConsent(request, reply, request.query.interaction),
    );
    app.post(
      path,
      {
        schema: {
          ...form,
          summary: 'Answer the consent page',
          body: ConsentForm,
          response: {
            ...pageAnswers({ 403: 'The form expired (its CSRF token is not valid).' }, [413, 415]),
            303: onward,
          },
        },
      },
      (request, reply) => decideConsent(request, reply, request.body),
    );
  }
};
