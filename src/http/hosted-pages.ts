// The hosted pages: sign in, its second step (/mfa, also the step-up of a signed-in session during an
// authorization) and create an account; consent is consent-pages.ts, and feature modules add theirs
// (password reset) in this scope.
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
  continueTo,
  signedIn,
  type BeforeContinuing,
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
  MfaForm,
  RegisterForm,
  pageAnswers,
} from './schemas/pages.js';
import { signedInPage } from './views/next-steps.js';
import { loginPage, mfaPage, passwordHintsOf, registerPage, type FactorView } from './views/pages.js';
import { cookieMaxAgeSeconds, type BrowserLogin } from '../auth/browser-sessions.js';
import type { Login } from '../auth/login.js';
import type { PasswordAuthenticator } from '../auth/password-authenticator.js';
import type { Registration } from '../auth/registration.js';
import type { Enrollment, LoginOutcome, SecondStepChallenge } from '../kernel/authentication.js';
import type { AccountSection, PageKit, SignInPageParts, SignUpStep } from '../kernel/module.js';

/** A pending second step as the page shows it. */
type ChallengeView = SecondStepChallenge & { stepUp: boolean };

export interface HostedPagesOptions extends FlowDeps {
  tenants: Tenants;
  login: Login;
  password: PasswordAuthenticator;
  registration: Registration;
  /** Feature modules' pages, registered in this scope (form bodies, errors as pages). */
  modulePages: readonly FastifyPluginAsync<{ kit: PageKit }>[];
  /** What the second-step page shows of each registered factor. */
  factors: readonly (FactorView & {
    /** Can be set up during a sign-in (beginEnrollment). */ enrols: boolean;
  })[];
  /** What feature modules add to a tenant's sign-in page (PageContributions.signInPage), in module order. */
  signInPage: readonly ((tenant: Tenant) => SignInPageParts)[];
  /** Feature modules' sections of the account page. */
  accountSections: readonly AccountSection[];
  /** Feature modules' pages shown right after a sign-up (PageContributions.afterSignUp), in module order. */
  afterSignUp: readonly SignUpStep[];
}

/** What the modules add to the tenant's sign-in page: links, other ways to sign in, their scripts. */
export function signInPartsOf(contributions: HostedPagesOptions['signInPage'], t: Tenant) {
  const parts = contributions.map((of) => of(t));
  return {
    links: parts.flatMap((p) => p.links ?? []),
    buttons: parts.flatMap((p) => p.buttons ?? []),
    scripts: [...new Set(parts.flatMap((p) => p.scripts ?? []))].map((path) => `${basePath(t)}${path}`),
    autocomplete: parts.flatMap((p) => p.autocomplete ?? []),
  };
}

/**
 * The tenant's sign-in page as it would look with `branding` (the console's live preview, before it is
 * saved): the real page, inert (no CSRF token, no scripts), for an `<iframe sandbox srcdoc>`.
 */
export function loginPagePreview(
  contributions: HostedPagesOptions['signInPage'],
  t: Tenant,
  branding: Record<string, unknown> | null,
): string {
  const tenant: Tenant = { ...t, settings: { ...t.settings, branding: branding ?? undefined } };
  const parts = signInPartsOf(contributions, tenant);
  return loginPage({ tenant, csrfToken: '', basePath: basePath(tenant) }, { ...parts, scripts: [] });
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
  /** The links under the sign-in form that this tenant shows. */
  const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
    pageContext(options, request, reply, t);

  /** A page's form: CSRF checked first; an authorization in progress must still be the one named. */
  const checkForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    body: { csrf_token?: string; interaction?: string },
  ) => checkPageForm(options, request, reply, t, body);

  /** The browser's session becomes `signedIn`'s (any earlier one in this browser is ended). */
  const replaceSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    signedIn: BrowserLogin,
  ) => {
    const previous = await currentSession(options, request, t);
    if (previous)
      await options.sessionAccess.revokeSessions(t, { sessionId: previous.id }, 'replaced_by_login');
    cookies.set(reply, 'session', t, signedIn.cookie, cookieMaxAgeSeconds(signedIn.session));
  };

  /** The first module step after a sign-up that the tenant shows, after the one at `from` (or the first). */
  const signUpStepAfter = (t: Tenant, from?: string) => {
    const steps = options.afterSignUp;
    const start = from === undefined ? 0 : steps.findIndex((s) => s.path === from) + 1;
    return steps.slice(start).find((s) => s.applies(t));
  };
  /** The step's page, carrying where the sign-up is going. */
  const signUpStepHref = (
    t: Tenant,
    step: SignUpStep,
    interaction: Interaction | null,
    returnTo?: string,
  ) => {
    const query = interaction
      ? `?interaction=${encodeURIComponent(interaction.id)}`
      : returnTo
        ? `?return_to=${encodeURIComponent(returnTo)}`
        : '';
    return `${basePath(t)}${step.path}${query}`;
  };

  /** PageKit.continueSignUp: the next step, or on with the browser's session to where the sign-up was going. */
  const continueSignUp: PageKit['continueSignUp'] = async (request, reply, t, form, from) => {
    const next = signUpStepAfter(t, from);
    if (next) return reply.redirect(signUpStepHref(t, next, form.interaction, form.returnTo), 303);
    const session = await currentSession(options, request, t);
    if (!session) return reply.redirect(`${basePath(t)}/login`, 303);
    const { interaction } = form;
    if (!interaction) return continueTo(reply, t, `${basePath(t)}${form.returnTo ?? '/login'}`);
    // A session that signed in during this authorization (the sign-up) satisfies prompt=login and max_age.
    const fresh = session.auth_time.getTime() >= interaction.createdAt;
    const outcome = await oauth.authorize(t, interaction.params, signedIn(session), {
      ...interaction,
      ...(fresh ? { loginSessionId: session.id } : {}),
    });
    return sendOutcome(options, reply, t, outcome);
  };

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
    first?: BeforeContinuing,
  ) => {
    await replaceSession(request, reply, t, signedIn);
    // No application to return to: /login shows who is signed in (a redirect, so a reload posts nothing).
    if (!interaction) return continueTo(reply, t, `${basePath(t)}${returnTo ?? '/login'}`, first);
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
    return sendOutcome(options, reply, t, outcome, first);
  };

  /** A factor as the page shows it (a factor no module registers any more shows its id). */
  const factorView = (id: string) =>
    options.factors.find((f) => f.id === id) ?? {
      id,
      label: id,
      prompt: 'Code',
      fallback: false,
      sends: false,
      digits: false,
      enrols: false,
    };

  /**
   * The factor the page shows: the one asked for, else the preferred one, else the first that is not a
   * fallback (and, when the user sets one up now, one that can be set up).
   */
  const shownFactor = (challenge: ChallengeView, wanted: string | undefined) => {
    if (wanted !== undefined && challenge.factors.includes(wanted)) return factorView(wanted);
    const usable = challenge.factors
      .map(factorView)
      .filter((f) => !f.fallback && (!challenge.enroll || f.enrols));
    return usable.find((f) => f.id === challenge.preferred) ?? usable[0] ?? factorView(challenge.factors[0]!);
  };

  /** The /mfa page for a pending challenge; `setup`: show (start) the setup when the user enrols now. */
  const showSecondStep = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    interaction: Interaction | null,
    challenge: ChallengeView,
    view: {
      factor?: string;
      setup: boolean;
      status?: number;
      headers?: Readonly<Record<string, string>>;
      error?: string;
      sentTo?: string;
      remember?: boolean;
      returnTo?: string;
      /**
       * Arriving from a form (the sign-in, "use another way"): a factor that delivers its code sends it
       * now, as the user expects; "Send code" stays for a failed send. Not on a GET, which must not text.
       */
      sendNow?: boolean;
    },
  ) => {
    const factor = shownFactor(challenge, view.factor);
    if (view.sendNow && factor.sends && !challenge.enroll && !view.sentTo) {
      try {
        const { sentTo } = await login.sendSecondStepCode(
          t,
          { challenge: challenge.token, factor: factor.id },
          ['page'],
          metaOf(request),
        );
        view = { ...view, sentTo };
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'invalid_grant') throw error;
        view = { ...view, error: error.description };
      }
    }
    let enrollment: Enrollment | undefined;
    if (challenge.enroll && view.setup && factor.enrols)
      enrollment = await login.beginEnrollment(
        t,
        { challenge: challenge.token, factor: factor.id },
        ['page'],
        metaOf(request),
      );
    const page = mfaPage(ctxOf(request, reply, t), {
      interaction: interaction?.id,
      returnTo: view.returnTo,
      challenge: challenge.token,
      factor,
      others: challenge.factors.filter((id) => id !== factor.id).map(factorView),
      enroll: challenge.enroll,
      enrollment,
      stepUp: challenge.stepUp,
      rememberDays: challenge.rememberDays,
      remember: view.remember,
      sentTo: view.sentTo,
      error: view.error,
    });
    return sendHtml(reply.headers(view.headers ?? {}), view.status ?? 200, page, {
      formTarget: targetOf(interaction),
      scripts: (factor.scripts ?? []).length > 0,
    });
  };

  /** A challenge that can no longer be completed: the sign-in page again, saying so. */
  const challengeDead = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    interaction: Interaction | null,
    error: HelloJohnError,
    returnTo: string | undefined,
  ) => {
    return sendLoginPage(request, reply, t, error.status, interaction, {
      interaction: interaction?.id,
      returnTo,
      ...(await loginFor(request, t, interaction)),
      error: error.description,
    });
  };

  /** After a step-up: the authorization goes on with the session, which counts as just signed in. */
  const continueSteppedUp = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    sessionId: string,
    interaction: Interaction | null,
    first?: BeforeContinuing,
  ) => {
    const session = await currentSession(options, request, t);
    if (!interaction || !session || session.id !== sessionId)
      return reply.redirect(`${basePath(t)}/login`, 303);
    const outcome = await oauth.authorize(t, interaction.params, signedIn(session), {
      ...interaction,
      loginSessionId: session.id,
    });
    return sendOutcome(options, reply, t, outcome, first);
  };

  /** After a factor with a fixed number of uses (recovery codes): how many are left, before going on. */
  const usesLeftNotice = (t: Tenant, usesLeft: { factor: string; remaining: number }): BeforeContinuing => {
    const what = factorView(usesLeft.factor).label.toLowerCase();
    const { remaining } = usesLeft;
    return {
      title: 'Before you continue',
      message:
        remaining === 0
          ? `You used your last ${what}. Make new ones now, so you can still sign in if you lose your other way to verify.`
          : `You used a ${what}. You have ${String(remaining)} left; each works once.`,
      link: { href: `${basePath(t)}/account`, label: 'Make new ones on your account page' },
    };
  };

  /** A login's outcome: signed in (continue the authorization), or the page asking for the second step. */
  const continueLogin = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    outcome: LoginOutcome<BrowserLogin>,
    interaction: Interaction | null,
    returnTo: string | undefined,
  ) => {
    if (outcome.kind === 'signed_in')
      return startSession(request, reply, t, outcome.result, interaction, returnTo);
    const challenge = { ...outcome.challenge, stepUp: false };
    return showSecondStep(request, reply, t, interaction, challenge, {
      setup: true,
      returnTo,
      sendNow: true,
    });
  };

  /**
   * A sign-in from a page's form (ours, or a module's: PageKit.finishSignIn): its outcome continues the
   * login; a refusal goes to `refused`, or shows the sign-in page again with the email typed and the error.
   */
  const finishSignIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    form: { interaction: Interaction | null; returnTo?: string; email?: string },
    signIn: () => Promise<LoginOutcome<BrowserLogin>>,
    refused?: (error: HelloJohnError) => FastifyReply | Promise<FastifyReply>,
  ): Promise<FastifyReply> => {
    try {
      return await continueLogin(request, reply, t, await signIn(), form.interaction, form.returnTo);
    } catch (error) {
      if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
      if (refused) return refused(error);
      // The error's own status and headers (a rate limit's Retry-After), as the JSON API answers them.
      return sendLoginPage(request, reply.headers(error.headers), t, error.status, form.interaction, {
        interaction: form.interaction?.id,
        returnTo: form.returnTo,
        ...(await loginFor(request, t, form.interaction)),
        ...(form.email !== undefined ? { email: form.email } : {}),
        error: error.description,
      });
    }
  };

  /** The redirect target an interaction will end at, for the pages' form-action. */
  const targetOf = (interaction: ReturnType<typeof currentInteraction>) => interaction?.params.redirect_uri;

  const signInPageOf = (t: Tenant) => signInPartsOf(options.signInPage, t);
  /**
   * The sign-in page with what the modules add for the tenant, sent with its form-action and with scripts
   * allowed only when a module has some.
   */
  const sendLoginPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    status: number,
    interaction: Interaction | null,
    view: Omit<Parameters<typeof loginPage>[1], keyof ReturnType<typeof signInPageOf>>,
  ) => {
    const parts = signInPageOf(t);
    const page = loginPage(ctxOf(request, reply, t), { ...parts, ...view });
    return sendHtml(reply, status, page, {
      formTarget: targetOf(interaction),
      scripts: parts.scripts.length > 0,
    });
  };

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
        return sendLoginPage(request, reply, t, 200, null, {
          returnTo,
          email: session.email,
          notice: 'Confirm it\u2019s you: sign in again to continue.',
        });
      if (session)
        return sendHtml(reply, 200, signedInPage(ctxOf(request, reply, t), { email: session.email }));
      return sendLoginPage(request, reply, t, 200, interaction, {
        interaction: id,
        returnTo,
        ...(await loginFor(request, t, interaction)),
      });
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
      return finishSignIn(
        request,
        reply,
        t,
        { interaction: form.interaction, returnTo, email: body.email },
        () => login.browser(t, password, body, metaOf(request), 'page'),
      );
    },
  );

  // --- the second step (/mfa) ---
  app.get(
    '/mfa',
    {
      schema: {
        ...page,
        summary: 'The second step of the signed-in session (step-up during an authorization)',
        description:
          'An authorization that asks for more than the session has (acr_values) comes here: the signed-in ' +
          'user passes a second step, no password. Without a second step to offer, the authorization goes ' +
          'on as it is. A sign-in\u2019s own second step is the answer to POST /login.',
        querystring: InteractionQuery,
        response: {
          ...pageAnswers({ 200: 'The second-step page, or the form_post page of the authorization.' }),
          303: redirect('No authorization or session here: to the sign-in page; or on to the client.'),
        },
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const id = request.query.interaction;
      if (id === undefined) return reply.redirect(`${basePath(t)}/login`, 303);
      const interaction = currentInteraction(options, request, t, id);
      if (!interaction) return interactionExpired(reply, t);
      const session = await currentSession(options, request, t);
      if (!session) return reply.redirect(`${basePath(t)}/login?interaction=${encodeURIComponent(id)}`, 303);
      const outcome = await login.stepUp(t, signedIn(session), metaOf(request));
      if (outcome?.kind !== 'second_step') {
        // Nothing to ask (no factor to use or set up): acr is voluntary, the token says what was achieved.
        const next = await oauth.authorize(t, interaction.params, signedIn(session), {
          ...interaction,
          secondStepSkipped: session.id,
        });
        return sendOutcome(options, reply, t, next);
      }
      const challenge = { ...outcome.challenge, stepUp: true };
      return showSecondStep(request, reply, t, interaction, challenge, { setup: true });
    },
  );

  app.post(
    '/mfa',
    {
      schema: {
        ...form,
        summary: 'The second step\u2019s forms: verify a code, send one, choose another factor',
        body: MfaForm,
        response: {
          ...pageAnswers(
            {
              200: 'The second-step page again (a code sent, another factor), or the form_post page.',
              400: 'The sign-in page again: the challenge expired or is not valid; or the page: no code.',
              401: 'The second-step page again: the code is not correct.',
              403: 'The form expired.',
              429: 'The second-step page again: too many attempts or codes sent (Retry-After).',
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
      const interaction = form.interaction;
      const returnTo = interaction ? undefined : body.return_to;
      const meta = metaOf(request);
      const input = { challenge: body.mfa_token, factor: body.factor };
      let challenge: ChallengeView;
      try {
        challenge = login.pendingChallenge(t, body.mfa_token, ['page']);
      } catch (error) {
        if (error instanceof HelloJohnError && error.code === 'invalid_grant')
          return challengeDead(request, reply, t, interaction, error, returnTo);
        throw error;
      }
      const again = (view: Omit<Parameters<typeof showSecondStep>[5], 'factor'>) =>
        showSecondStep(request, reply, t, interaction, challenge, {
          factor: body.factor,
          remember: body.remember_device === 'true',
          returnTo,
          ...view,
        });
      try {
        switch (body.action ?? 'verify') {
          case 'choose':
            return await again({ setup: true, sendNow: true });
          case 'enroll':
            return await again({ setup: true });
          case 'send': {
            const { sentTo } = await login.sendSecondStepCode(t, input, ['page'], meta);
            return await again({ setup: false, sentTo });
          }
          case 'verify': {
            if (!body.code) return await again({ setup: false, status: 400, error: 'Enter the code.' });
            const done = await login.completeSecondStep(
              t,
              { ...input, code: body.code, rememberDevice: body.remember_device === 'true' },
              ['page'],
              meta,
            );
            if (done.device) cookies.setDevice(reply, basePath(t), done.device);
            const first = done.usesLeft ? usesLeftNotice(t, done.usesLeft) : undefined;
            if (done.kind === 'browser')
              return await startSession(request, reply, t, done.login, interaction, returnTo, first);
            if (done.kind === 'stepped_up')
              return await continueSteppedUp(request, reply, t, done.sessionId, interaction, first);
            throw new HelloJohnError('invalid_grant', 'Not a sign-in of this page.');
          }
        }
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        // A dead challenge (expired, spent, its attempts used up): the sign-in starts again.
        if (error.code === 'invalid_grant')
          return challengeDead(request, reply, t, interaction, error, returnTo);
        // A wrong code, a factor's send cap: the page again, with the error's status and headers.
        return again({
          setup: false,
          status: error.status,
          headers: error.headers,
          error: error.description,
        });
      }
    },
  );

  // --- create an account ---
  // A tenant with sign-up (or passwords) off has no such page.
  const signUpPageGone = () => new HelloJohnError('not_found', 'There is no sign-up here.');
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
      if (!registration.signUpOpen(t)) throw signUpPageGone();
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
        description:
          'Signs the new account in and continues the authorization in progress, first through a feature ' +
          'module\u2019s after-sign-up page when one applies (a 303 to it; see PageContributions.afterSignUp).',
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
      if (!registration.signUpOpen(t)) throw signUpPageGone();
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
        // Signed in at once: a module's after-sign-up page first, when one applies (PageKit.continueSignUp
        // goes on from there); else on as after any sign-in.
        const step = outcome.kind === 'signed_in' ? signUpStepAfter(t) : undefined;
        if (step && outcome.kind === 'signed_in') {
          await replaceSession(request, reply, t, outcome.result);
          return reply.redirect(signUpStepHref(t, step, form.interaction), 303);
        }
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
    finishSignIn,
    continueSignUp,
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
