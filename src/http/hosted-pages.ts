// The hosted pages: sign in (with its second step) and create an account; consent is consent-pages.ts,
// and feature modules add theirs (password reset) in this scope.
// Server-rendered, usable without JavaScript, every form CSRF-protected. When an authorization is in
// progress its interaction id rides along, and a successful sign-in or consent continues it.
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { normalizedEmail } from '../auth/email-address.js';
import { HelloJohnError } from '../errors.js';
import type { Interaction } from '../oauth/interaction.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import {
  basePath,
  currentInteraction,
  currentSession,
  pageContext,
  sendHtml,
  interactionExpired,
  checkPageForm,
  sendOutcome,
  type FlowDeps,
} from './authorization-flow.js';
import { consentPageRoutes } from './consent-pages.js';
import { metaOf, tenantOf } from './context.js';
import { renderErrorsAsPages } from './page-errors.js';
import { FORM, SECURITY, redirect, tenantPath } from './schemas/common.js';
import {
  InteractionQuery,
  LoginForm,
  LoginQuery,
  RegisterForm,
  SecondStepForm,
  pageAnswers,
} from './schemas/pages.js';
import { signedInPage } from './views/next-steps.js';
import { loginPage, passwordHintsOf, registerPage, secondStepPage } from './views/pages.js';
import type { BrowserLogin } from '../auth/browser-sessions.js';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import type { Registration } from '../auth/registration.js';
import type { LoginOutcome } from '../kernel/authentication.js';
import type { AccountSection, PageKit } from '../kernel/module.js';

export interface HostedPagesOptions extends FlowDeps {
  tenants: Tenants;
  login: Login;
  password: PasswordAuthenticator;
  registration: Registration;
  sessionTtlSeconds: number;
  /** Feature modules' pages, registered in this scope (form bodies, errors as pages). */
  modulePages: readonly FastifyPluginAsync<{ kit: PageKit }>[];
  /** What the second-step page calls each registered factor, by id. */
  factorLabels: Readonly<Record<string, string>>;
  /** Feature modules' links under the sign-in form. */
  loginLinks: readonly { href: string; label: string }[];
  /** Feature modules' sections of the account page. */
  accountSections: readonly AccountSection[];
}

export const hostedPageRoutes: FastifyPluginAsync<HostedPagesOptions> = async (plugin, options) => {
  const { tenants, login, password, registration, oauth, cookies } = options;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const params = tenantPath(app.prefix, {});
  const page = { tags: ['pages'], security: SECURITY.sessionCookieOrNone, params };
  const form = { ...page, consumes: FORM };
  const continues = redirect(
    'Signed in: on to the authorization in progress, or to /login (which shows who is signed in).',
  );
  // HTML forms post url-encoded bodies; only in this plugin's scope (the JSON API stays JSON-only, or any
  // site could post a cross-origin form to it without a CORS preflight).
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  renderErrorsAsPages(app, tenants);

  const tenant = (request: FastifyRequest) => tenantOf(request, tenants);
  const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
    pageContext(options, request, reply, t);

  /** A page's form: CSRF checked first; an authorization in progress must still be the one named. */
  const checkForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    body: { csrf_token?: string; interaction?: string },
  ) => checkPageForm(options, request, reply, t, body);

  /**
   * A fresh browser session: replaces any earlier one in this browser, then continues the authorization, or
   * goes to `returnTo` (a page of ours, checked by its schema, ReturnPath) when none is in progress.
   */
  const startSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    signedIn: BrowserLogin,
    interaction: ReturnType<typeof currentInteraction>,
    returnTo: string | undefined,
  ) => {
    const previous = await currentSession(options, request, t);
    if (previous)
      await options.sessionAccess.revokeSessions(t, { sessionId: previous.id }, 'replaced_by_login');
    cookies.set(reply, 'session', t, signedIn.cookie, options.sessionTtlSeconds);
    // No application to return to: /login shows who is signed in (a redirect, so a reload posts nothing).
    if (!interaction) return reply.redirect(`${basePath(t)}${returnTo ?? '/login'}`, 303);
    const session = {
      sessionId: signedIn.session.id,
      userId: signedIn.user.id,
      email: signedIn.user.email,
      authTime: signedIn.session.auth_time,
      amr: signedIn.session.amr,
    };
    const outcome = await oauth.authorize(t, interaction.params, session, {
      ...interaction,
      loginSessionId: session.sessionId,
    });
    return sendOutcome(options, reply, t, outcome);
  };

  const labelled = (ids: readonly string[]) =>
    ids.map((id) => ({
      id,
      label: Object.hasOwn(options.factorLabels, id) ? options.factorLabels[id]! : id,
    }));

  /** A login's outcome: signed in (continue the authorization), or the page asking for the second step. */
  const continueLogin = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    outcome: LoginOutcome<BrowserLogin>,
    interaction: ReturnType<typeof currentInteraction>,
    returnTo: string | undefined,
  ) => {
    if (outcome.kind === 'signed_in')
      return startSession(request, reply, t, outcome.result, interaction, returnTo);
    const page = secondStepPage(ctxOf(request, reply, t), {
      interaction: interaction?.id,
      returnTo,
      challenge: outcome.challenge.token,
      factors: labelled(outcome.challenge.factors),
    });
    return sendHtml(reply, 200, page, { formTarget: targetOf(interaction) });
  };

  /** The redirect target an interaction will end at, for the pages' form-action. */
  const targetOf = (interaction: ReturnType<typeof currentInteraction>) => interaction?.params.redirect_uri;

  /** The login form's email and the account an id_token_hint asks for (with who is signed in instead). */
  const loginFor = async (request: FastifyRequest, t: Tenant, interaction: Interaction | null) => {
    const wanted = interaction?.loginAs;
    if (!wanted) return { email: emailHint(interaction?.params.login_hint) };
    const session = await currentSession(options, request, t);
    const signedInAs = session && session.user_id !== wanted.userId ? session.email : undefined;
    return {
      email: wanted.prefill ? wanted.email : emailHint(interaction.params.login_hint),
      loginAs: { email: wanted.email, signedInAs },
    };
  };

  // --- sign in ---
  app.get(
    '/login',
    {
      schema: {
        ...page,
        summary: 'The sign-in page',
        description:
          'Shows who is signed in when no authorization is in progress, unless `return_to` asks to sign in (again) and go back to that page.',
        querystring: LoginQuery,
        response: pageAnswers(),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const id = request.query.interaction;
      const interaction = id ? currentInteraction(options, request, t, id) : null;
      if (id && !interaction) return interactionExpired(reply, t);
      const session = interaction ? null : await currentSession(options, request, t);
      const returnTo = interaction ? undefined : request.query.return_to;
      // Signed in and sent here to sign in again (a sensitive change wants a fresh sign-in): the form, for them.
      if (session && returnTo)
        return sendHtml(
          reply,
          200,
          loginPage(ctxOf(request, reply, t), {
            links: options.loginLinks,
            returnTo,
            email: session.email,
            notice: 'Confirm it\u2019s you: sign in again to continue.',
          }),
        );
      if (session)
        return sendHtml(reply, 200, signedInPage(ctxOf(request, reply, t), { email: session.email }));
      return sendHtml(
        reply,
        200,
        loginPage(ctxOf(request, reply, t), {
          links: options.loginLinks,
          interaction: id,
          returnTo,
          ...(await loginFor(request, t, interaction)),
        }),
        { formTarget: targetOf(interaction) },
      );
    },
  );

  app.post(
    '/login',
    {
      schema: {
        ...form,
        summary: 'Sign in (the sign-in form)',
        body: LoginForm,
        response: {
          ...pageAnswers(
            {
              200: 'The form_post page of the authorization in progress.',
              401: 'The sign-in page again: invalid email or password.',
              403: 'The sign-in page again (the account is blocked), or the form expired.',
              429: 'The sign-in page again: too many attempts.',
            },
            [413, 415],
          ),
          303: continues,
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body;
      const form = checkForm(request, reply, t, body);
      if (!form.ok) return reply;
      const returnTo = form.interaction ? undefined : body.return_to;
      try {
        const outcome = await login.browser(t, password, body, metaOf(request), 'page');
        return await continueLogin(request, reply, t, outcome, form.interaction, returnTo);
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        const status = error.code === 'rate_limited' ? 429 : error.code === 'access_denied' ? 403 : 401;
        const page = loginPage(ctxOf(request, reply, t), {
          links: options.loginLinks,
          interaction: body.interaction,
          returnTo,
          ...(await loginFor(request, t, form.interaction)),
          email: body.email,
          error: error.description,
        });
        return sendHtml(reply, status, page, { formTarget: targetOf(form.interaction) });
      }
    },
  );

  app.post(
    '/login/second-step',
    {
      schema: {
        ...form,
        summary: 'The second step of a sign-in (the code form)',
        body: SecondStepForm,
        response: {
          ...pageAnswers(
            {
              200: 'The form_post page of the authorization in progress.',
              400: 'The sign-in page again: the challenge expired or is not valid.',
              401: 'The code page again: the code is not correct.',
              403: 'The form expired.',
              429: 'The code page again: too many attempts.',
            },
            [413, 415],
          ),
          303: continues,
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body;
      const form = checkForm(request, reply, t, body);
      if (!form.ok) return reply;
      const returnTo = form.interaction ? undefined : body.return_to;
      try {
        const done = await login.completeSecondStep(
          t,
          { challenge: body.mfa_token, factor: body.factor, code: body.code },
          ['page'],
          metaOf(request),
        );
        if (done.kind !== 'browser') throw new HelloJohnError('invalid_request', 'Not a browser sign-in.');
        return await startSession(request, reply, t, done.login, form.interaction, returnTo);
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        // A dead challenge starts the sign-in again; a wrong code asks again.
        if (error.code === 'invalid_grant') {
          const page = loginPage(ctxOf(request, reply, t), {
            links: options.loginLinks,
            interaction: body.interaction,
            returnTo,
            ...(await loginFor(request, t, form.interaction)),
            error: error.description,
          });
          return sendHtml(reply, 400, page, { formTarget: targetOf(form.interaction) });
        }
        const page = secondStepPage(ctxOf(request, reply, t), {
          interaction: body.interaction,
          returnTo,
          challenge: body.mfa_token,
          factors: labelled([body.factor]),
          error: error.description,
        });
        // The error's own headers too: a factor's rate limit carries Retry-After.
        return sendHtml(reply.headers(error.headers), error.status, page, {
          formTarget: targetOf(form.interaction),
        });
      }
    },
  );

  // --- create an account ---
  const passwordHints = (t: Tenant) => passwordHintsOf(registration.passwordPolicy(t));

  app.get(
    '/register',
    {
      schema: {
        ...page,
        summary: 'The create-an-account page',
        querystring: InteractionQuery,
        response: pageAnswers(),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const id = request.query.interaction;
      const interaction = id ? currentInteraction(options, request, t, id) : null;
      const page = registerPage(ctxOf(request, reply, t), {
        interaction: interaction ? id : undefined,
        passwordHints: passwordHints(t),
      });
      return sendHtml(reply, 200, page, { formTarget: targetOf(interaction) });
    },
  );

  app.post(
    '/register',
    {
      schema: {
        ...form,
        summary: 'Create an account (the create-an-account form)',
        description: 'Signs the new account in and continues the authorization in progress.',
        body: RegisterForm,
        response: {
          ...pageAnswers(
            {
              200: 'The form_post page of the authorization in progress.',
              403: 'The form expired (its CSRF token is not valid).',
              409: 'The page again: the email address is taken.',
            },
            [413, 415, 429],
          ),
          303: continues,
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body;
      const form = checkForm(request, reply, t, body);
      if (!form.ok) return reply;
      try {
        await registration.register(
          t,
          { email: body.email, password: body.password, name: body.name },
          metaOf(request),
        );
        const outcome = await login.browser(t, password, body, metaOf(request), 'page');
        return await continueLogin(request, reply, t, outcome, form.interaction, undefined);
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        const page = registerPage(ctxOf(request, reply, t), {
          interaction: body.interaction,
          email: body.email,
          name: body.name,
          error: error.description,
          passwordHints: passwordHints(t),
        });
        return sendHtml(reply, error.code === 'email_taken' ? 409 : 400, page, {
          formTarget: targetOf(form.interaction),
        });
      }
    },
  );

  // --- feature modules' pages (password reset…), in this scope ---
  // (Not `options` itself: it carries this plugin's prefix, which the child would add a second time.)
  const kit: PageKit = {
    tenants,
    browserSessions: options.browserSessions,
    sessionAccess: options.sessionAccess,
    oauth,
    cookies,
    csrf: options.csrf,
    accountSections: options.accountSections,
  };
  for (const pages of options.modulePages) await app.register(pages, { kit });

  // --- consent ---
  await app.register(consentPageRoutes, { kit });
};

/**
 * login_hint pre-fills the email field only when it is an address: any other text would be a sentence of the
 * link author's choosing shown on our page (an address cannot hold spaces).
 */
function emailHint(hint: string | undefined): string | undefined {
  return hint !== undefined && normalizedEmail(hint) !== null ? hint : undefined;
}
