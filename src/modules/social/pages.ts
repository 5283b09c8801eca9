// The browser side of social sign-in: leaving for the provider (start), coming back (callback, GET, or
// POST for Apple's form_post), and connecting or disconnecting a provider from the account page.
//
// This browser's binding: a random value in a cookie (SameSite=Lax, httpOnly), whose SHA-256 the sealed
// state carries, so a callback completes only in the browser that started it (no login CSRF with an
// attacker's code). A form_post callback is a cross-site POST, which carries no Lax cookie: it is sealed
// and relayed with a 303 to the GET callback, a top-level navigation that does carry it.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Login } from '../../auth/login.js';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { HelloJohnError } from '../../errors.js';
import {
  basePath,
  csrfValid,
  currentInteraction,
  currentSession,
  interactionExpired,
  sendErrorPage,
  sendHtml,
} from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, SECURITY, redirect, tenantPath } from '../../http/schemas/common.js';
import { pageAnswers } from '../../http/schemas/pages.js';
import { errorPage } from '../../http/views/pages.js';
import type { PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { ProviderError } from './protocol.js';
import { AccountLinkForm, CallbackForm, CallbackQuery, ProviderParams, StartQuery } from './schemas.js';
import type { FlowMode, Social } from './service.js';
import { SealedState } from '../../crypto/sealed-state.js';

/** A form_post callback on its way to the GET callback. */
interface Relay {
  state?: string;
  code?: string;
  error?: string;
  user?: string;
  expiresAt: number;
}

/** What each provider failure tells the user (the detail goes to the log). */
const FAILURES = {
  unavailable: {
    status: 502,
    title: 'The provider is not answering',
    message: (label: string) => `${label} did not answer in time, so you are not signed in.`,
  },
  refused: {
    status: 400,
    title: 'Sign-in not completed',
    message: (label: string) => `${label} did not complete the sign-in, so you are not signed in.`,
  },
  invalid: {
    status: 400,
    title: 'Sign-in could not be verified',
    message: (label: string) => `The answer from ${label} could not be verified, so you are not signed in.`,
  },
} as const;

export function socialPageRoutes(
  social: Social,
  login: Login,
  recentSignIn: RecentSignIn,
  secretboxMasterKey: Buffer,
): FastifyPluginAsync<{ kit: PageKit }> {
  const relays = new SealedState<Relay>(
    secretboxMasterKey,
    { keyInfo: 'hellojohn social relay v1', label: 'social-relay' },
    12 * 1024,
  );

  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, { provider: ProviderParams.properties.provider });
    const page = { tags: ['social'], security: SECURITY.sessionCookieOrNone, params };
    const tenant = (request: FastifyRequest) => tenantOf(request, kit.tenants);
    const toProvider = redirect('To the provider\u2019s sign-in page.');

    const bindingName = (t: Tenant) => (t.slug === 'default' ? 'hj_social' : `hj_social-${t.slug}`);
    /** This browser's binding: the one it has, or a new one, (re)set for the length of a flow. */
    const binding = (request: FastifyRequest, reply: FastifyReply, t: Tenant) => {
      const value = social.validBinding(request.cookies[bindingName(t)]) ?? social.newBinding();
      kit.cookies.setDevice(reply, basePath(t), {
        name: bindingName(t),
        value,
        maxAgeSeconds: Math.ceil(social.flowTtlMs / 1000),
      });
      return value;
    };

    /** A page that says the sign-in did not happen, with the way back to signing in. */
    const failed = (
      reply: FastifyReply,
      t: Tenant,
      status: number,
      text: { title: string; message: string; help?: string },
      next: { href: string; label: string },
    ) => sendHtml(reply, status, errorPage(t, { ...text, requestId: reply.request.id, next }));

    const signInAgain = (t: Tenant, interaction: string | undefined) => ({
      href: `${basePath(t)}/login${interaction ? `?interaction=${encodeURIComponent(interaction)}` : ''}`,
      label: 'Sign in another way',
    });

    /** Leaves for the provider (after the provider's discovery, which may fail). */
    const leave = async (
      reply: FastifyReply,
      t: Tenant,
      providerId: string,
      bind: string,
      mode: FlowMode,
    ) => {
      const setup = await social.setup(t, providerId);
      try {
        return reply.redirect((await social.start(t, setup, bind, mode)).href, 303);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        reply.request.log.warn(
          { provider: providerId, failure: error.failure, detail: error.message },
          'social provider',
        );
        const text = FAILURES[error.failure];
        return failed(
          reply,
          t,
          text.status,
          { title: text.title, message: text.message(setup.label) },
          signInAgain(t, mode.i),
        );
      }
    };

    app.get(
      '/v2/auth/social/:provider/start',
      {
        schema: {
          ...page,
          summary: 'Sign in with a social provider: leave for it',
          description:
            'The hosted sign-in page\u2019s buttons lead here (with the `interaction` in progress, or a ' +
            '`return_to` page). An application signs a user in directly with `client_id`, one of its ' +
            'registered `redirect_uri`s and a PKCE `code_challenge` (S256): the callback then redirects to ' +
            'that URI with a one-time `code` for POST /v2/auth/social/exchange.',
          querystring: StartQuery,
          response: {
            ...pageAnswers({ 502: 'The provider did not answer (its discovery document).' }),
            303: toProvider,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const q = request.query;
        let mode: FlowMode;
        if (q.client_id !== undefined || q.redirect_uri !== undefined || q.code_challenge !== undefined) {
          if (!q.client_id || !q.redirect_uri || !q.code_challenge)
            throw new HelloJohnError(
              'invalid_request',
              'An application\u2019s sign-in needs client_id, redirect_uri and code_challenge.',
            );
          await social.checkApplication(t, q.client_id, q.redirect_uri);
          mode = {
            a: { c: q.client_id, u: q.redirect_uri, h: q.code_challenge, ...(q.state ? { s: q.state } : {}) },
          };
        } else if (q.interaction !== undefined) {
          if (!currentInteraction(kit, request, t, q.interaction)) return interactionExpired(reply, t);
          mode = { i: q.interaction };
        } else {
          mode = q.return_to ? { r: q.return_to } : {};
        }
        return leave(reply, t, request.params.provider, binding(request, reply, t), mode);
      },
    );

    const callbackAnswers = {
      ...pageAnswers({
        200: 'The form_post page of the authorization in progress, or the second-step page.',
        400: 'The sign-in did not complete: the state is not this browser\u2019s, the provider refused, or its answer did not verify.',
        403: 'The provider did not verify an email address to make an account with, or the account is blocked.',
        409: 'An account with this email exists and may not be signed in to this way (no auto-link).',
        502: 'The provider did not answer in time.',
      }),
      303: redirect(
        'Signed in: on to the authorization in progress, the application\u2019s redirect URI (with `code`), or the account page.',
      ),
    };

    app.get(
      '/v2/auth/social/:provider/callback',
      {
        schema: {
          ...page,
          summary: 'Sign in with a social provider: back from it',
          description: 'The redirect URI to register at the provider.',
          querystring: CallbackQuery,
          response: callbackAnswers,
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const providerId = request.params.provider;
        let q: Omit<Relay, 'expiresAt'> = request.query;
        if (request.query.relay !== undefined) {
          const relayed = relays.open(t.id, request.query.relay);
          q = relayed ?? {};
        }
        const bind = social.validBinding(request.cookies[bindingName(t)]);
        const flow = social.flowOf(t, providerId, q.state, bind);
        if (!flow) {
          request.log.info(
            { provider: providerId, binding: bind !== null },
            'social callback: state refused',
          );
          return failed(
            reply,
            t,
            400,
            {
              title: 'Sign-in link expired',
              message: 'This sign-in was not started in this browser, or it has expired.',
              help: 'Start again from the sign-in page.',
            },
            signInAgain(t, undefined),
          );
        }
        const meta = metaOf(request);
        const setup = await social.setup(t, providerId);
        const toApp = flow.a
          ? (params: Record<string, string>) => {
              const target = new URL(flow.a!.u);
              for (const [k, v] of Object.entries({ ...params, ...(flow.a!.s ? { state: flow.a!.s } : {}) }))
                target.searchParams.set(k, v);
              return reply.redirect(target.href, 303);
            }
          : null;

        if (q.error !== undefined || !q.code) {
          request.log.info(
            { provider: providerId, error: q.error ?? 'no_code' },
            'social callback: provider error',
          );
          if (toApp)
            return toApp({
              error: 'access_denied',
              error_description: `${setup.label} did not sign the user in.`,
            });
          const cancelled = q.error === 'access_denied' || q.error === 'user_cancelled_authorize';
          return failed(
            reply,
            t,
            400,
            {
              title: 'Sign-in not completed',
              message: cancelled
                ? `You did not sign in with ${setup.label}.`
                : `${setup.label} reported an error, so you are not signed in.`,
            },
            signInAgain(t, flow.i),
          );
        }

        let profile;
        try {
          profile = await social.protocol.complete(setup, {
            code: q.code,
            redirectUri: social.callbackUrl(t, providerId),
            verifier: flow.v,
            nonce: flow.nonce,
            ...(q.user ? { callbackUser: q.user } : {}),
          });
        } catch (error) {
          if (!(error instanceof ProviderError)) throw error;
          request.log.warn(
            { provider: providerId, failure: error.failure, detail: error.message },
            'social provider',
          );
          if (toApp)
            return toApp({
              error: error.failure === 'unavailable' ? 'temporarily_unavailable' : 'access_denied',
              error_description: FAILURES[error.failure].message(setup.label),
            });
          const text = FAILURES[error.failure];
          return failed(
            reply,
            t,
            text.status,
            { title: text.title, message: text.message(setup.label) },
            signInAgain(t, flow.i),
          );
        }

        /** A refusal: said to the application, or on a page that offers to try again. */
        const refused = (error: unknown) => {
          if (
            !(error instanceof HelloJohnError) ||
            error.code === 'service_unavailable' ||
            error.code === 'rate_limited'
          )
            throw error;
          if (toApp) return toApp({ error: error.code, error_description: error.description });
          return failed(
            reply,
            t,
            error.status,
            { title: 'Sign-in not completed', message: error.description },
            flow.l
              ? { href: `${basePath(t)}/account`, label: 'Back to your account' }
              : signInAgain(t, flow.i),
          );
        };
        let user: Awaited<ReturnType<typeof social.resolve>>;
        try {
          // Connecting from the account page: the same browser session must still be signed in.
          if (flow.l) {
            const session = await currentSession(kit, request, t);
            if (!session || session.id !== flow.l.s || session.user_id !== flow.l.u)
              return reply.redirect(`${basePath(t)}/login?return_to=/account`, 303);
            await social.link(t, session.user_id, setup, profile, meta);
            return reply.redirect(`${basePath(t)}/account?notice=social_linked`, 303);
          }
          user = await social.resolve(t, setup, profile, meta);
          if (toApp) return toApp({ code: await social.issueExchangeCode(t, user, providerId, flow.a!) });
        } catch (error) {
          return refused(error);
        }
        const interaction = flow.i ? currentInteraction(kit, request, t, flow.i) : null;
        if (flow.i && !interaction) return interactionExpired(reply, t);
        return kit.finishSignIn(
          request,
          reply,
          t,
          { interaction, ...(flow.r !== undefined ? { returnTo: flow.r } : {}) },
          () => login.browser(t, social.authenticator(providerId), user.id, meta, 'page'),
          refused,
        );
      },
    );

    app.post(
      '/v2/auth/social/:provider/callback',
      {
        schema: {
          ...page,
          consumes: FORM,
          summary: 'Sign in with a social provider: back from it (form_post, Apple)',
          description:
            'A provider that posts its answer (response_mode=form_post) posts here; the answer is sealed ' +
            'and relayed to the GET callback, where this browser\u2019s cookie comes with it.',
          body: CallbackForm,
          response: {
            ...pageAnswers({}, [413, 415]),
            303: redirect('To the GET callback, with the sealed answer.'),
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const { state, code, error, user } = request.body;
        const relay = relays.seal(t.id, {
          ...(state !== undefined ? { state } : {}),
          ...(code !== undefined ? { code } : {}),
          ...(error !== undefined ? { error } : {}),
          ...(user !== undefined ? { user } : {}),
          expiresAt: Date.now() + 60_000,
        });
        return reply.redirect(
          `${basePath(t)}/v2/auth/social/${request.params.provider}/callback?relay=${relay}`,
          303,
        );
      },
    );

    // --- the account page's card -----------------------------------------------------------------------
    const accountForm = {
      tags: ['social'],
      security: SECURITY.sessionCookie,
      params: tenantPath(app.prefix, {}),
      consumes: FORM,
    };
    const toAccount = redirect('Done, or not signed in: back to the account page (or to sign in first).');

    /** CSRF, the session, and a recent sign-in; null when the answer is already sent. */
    const accountSession = async (request: FastifyRequest, reply: FastifyReply, t: Tenant, csrf?: string) => {
      if (!csrfValid(kit, request, t, csrf)) {
        await sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
        return null;
      }
      const session = await currentSession(kit, request, t);
      if (!session || !recentSignIn.isRecentSignIn(session)) {
        await reply.redirect(`${basePath(t)}/login?return_to=/account`, 303);
        return null;
      }
      return session;
    };

    app.post(
      '/account/social/link',
      {
        schema: {
          ...accountForm,
          summary: 'Connect a social provider (the account page\u2019s card)',
          description: 'Needs a recent sign-in; leaves for the provider, and comes back to the account page.',
          body: AccountLinkForm,
          response: {
            ...pageAnswers({ 403: 'The form expired.', 502: 'The provider did not answer.' }, [413, 415]),
            303: toAccount,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await accountSession(request, reply, t, request.body.csrf_token);
        if (!session) return reply;
        const mode = { l: { u: session.user_id, s: session.id } };
        return leave(reply, t, request.body.provider, binding(request, reply, t), mode);
      },
    );

    app.post(
      '/account/social/unlink',
      {
        schema: {
          ...accountForm,
          summary: 'Disconnect a social provider (the account page\u2019s card)',
          description: 'Needs a recent sign-in; never the account\u2019s last way to sign in.',
          body: AccountLinkForm,
          response: { ...pageAnswers({ 403: 'The form expired.' }, [413, 415]), 303: toAccount },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await accountSession(request, reply, t, request.body.csrf_token);
        if (!session) return reply;
        try {
          await social.unlink(t, session.user_id, request.body.provider, {
            via: 'account',
            meta: metaOf(request),
          });
        } catch (error) {
          if (error instanceof HelloJohnError && error.code === 'conflict')
            return reply.redirect(`${basePath(t)}/account?notice=social_last_identity`, 303);
          throw error;
        }
        return reply.redirect(`${basePath(t)}/account?notice=social_unlinked`, 303);
      },
    );
  };
}
