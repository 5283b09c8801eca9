// The hosted page an invitation link opens: GET checks the link without spending it (a dead one is said
// before anything is typed) and shows the form; POST creates the account, spends the invitation and signs
// the browser in (on to /account), as a sign-up does. Works without JavaScript.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { passwordHintsOf } from '../../http/views/pages.js';
import { HelloJohnError } from '../../errors.js';
import { csrfValid, pageContext, sendErrorPage, sendHtml } from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, redirect, tenantPath } from '../../http/schemas/common.js';
import { pageAnswers } from '../../http/schemas/pages.js';
import type { CoreServices, PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { passwordSignInEnabled } from '../../tenants/settings.js';
import { InviteForm, InviteQuery } from './schemas.js';
import { INVITE_PATH, type Invitations } from './service.js';
import { inviteDeadPage, inviteDonePage, invitePage } from './views.js';

type Deps = Pick<CoreServices, 'registration' | 'login' | 'passwordAuthenticator'>;

export const invitationPageRoutes =
  (invitations: Invitations, core: Deps): FastifyPluginAsync<{ kit: PageKit }> =>
  async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const page = { tags: ['pages'], params: tenantPath(app.prefix, {}) };
    const tenant = (request: FastifyRequest) => tenantOf(request, kit.tenants);
    const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
      pageContext(kit, request, reply, t);
    // No password field where the tenant does not use passwords: the account is made without one.
    const passwordOf = (t: Tenant) =>
      passwordSignInEnabled(t)
        ? { hints: passwordHintsOf(core.registration.passwordPolicy(t)) }
        : (false as const);
    const dead = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
      sendHtml(reply, 410, inviteDeadPage(ctxOf(request, reply, t)));

    app.get(
      INVITE_PATH,
      {
        schema: {
          ...page,
          summary: 'The page an invitation link opens',
          description: 'The form that creates the invited account; 410 with one page for every dead link.',
          // Any string up to the limit: a malformed token is a dead link like any other.
          querystring: InviteQuery,
          response: pageAnswers({ 410: 'The link is invalid, expired, revoked or used (one page for all).' }),
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const token = request.query.token ?? '';
        const invitation = await invitations.live(t, token);
        if (!invitation) return dead(request, reply, t);
        return sendHtml(
          reply,
          200,
          invitePage(ctxOf(request, reply, t), {
            token,
            email: invitation.email,
            name: invitation.name,
            password: passwordOf(t),
          }),
        );
      },
    );

    app.post(
      INVITE_PATH,
      {
        schema: {
          ...page,
          consumes: FORM,
          summary: 'Accept an invitation (the invitation form)',
          description:
            'Creates the account (address verified, the invitation\u2019s roles), spends the invitation and ' +
            'signs this browser in, on to /account (a 303). Where the tenant does not use passwords, the ' +
            'account has none and the page sends the person to sign in another way.',
          body: InviteForm,
          response: {
            ...pageAnswers(
              {
                403: 'The form expired (its CSRF token is not valid).',
                410: 'The link is invalid, expired, revoked or used (one page for all).',
              },
              [413, 415, 429],
            ),
            303: redirect('Signed in: on to the account page.'),
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
        if (!csrfValid(kit, request, t, body.csrf_token))
          return sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
        const invitation = await invitations.live(t, body.token);
        if (!invitation) return dead(request, reply, t);
        const withPassword = passwordOf(t);
        const again = (error: string) =>
          sendHtml(
            reply,
            400,
            invitePage(ctxOf(request, reply, t), {
              token: body.token,
              email: invitation.email,
              name: body.name,
              password: withPassword,
              error,
            }),
          );
        const password = withPassword ? (body.password ?? '') : null;
        if (password === '') return again('Choose a password.');
        if (password !== null && body.confirm !== undefined && body.confirm !== password)
          return again('The two passwords do not match.');
        let user;
        try {
          user = await invitations.accept(t, body.token, { password, name: body.name }, metaOf(request));
        } catch (error) {
          if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
          // Spent in between (another tab, a double submit), or its address got an account: dead either way.
          if (error.code === 'invalid_grant' || error.code === 'email_taken') return dead(request, reply, t);
          return again(error.description);
        }
        if (password === null)
          return sendHtml(reply, 200, inviteDonePage(ctxOf(request, reply, t), user.email));
        // Signed in as after a sign-up: the same login, so the tenant's second-step policy applies.
        return kit.finishSignIn(request, reply, t, { interaction: null, returnTo: '/account' }, () =>
          core.login.browser(
            t,
            core.passwordAuthenticator,
            { email: user.email, password },
            metaOf(request),
            'page',
          ),
        );
      },
    );
  };
