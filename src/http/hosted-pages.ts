// The hosted pages: sign in, create an account, forgot and reset password, and consent. Server-rendered,
// usable without JavaScript, every form CSRF-protected. When an authorization is in progress its
// interaction id rides along, and a successful sign-in or consent continues it.
import formbody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../errors.js';
import type { Interaction } from '../oauth/interaction.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import {
  csrfValid,
  currentInteraction,
  currentSession,
  pageContext,
  sendErrorPage,
  sendHtml,
  sendOutcome,
  signedIn,
  type FlowDeps,
} from './authorization-flow.js';
import { metaOf, tenantOf } from './context.js';
import { Email, Name, OpaqueToken, Password, TenantParams } from './schemas.js';
import {
  SCOPE_DESCRIPTIONS,
  consentPage,
  forgotPage,
  loginPage,
  registerPage,
  resetPasswordPage,
} from './views/pages.js';

export interface HostedPagesOptions extends FlowDeps {
  tenants: Tenants;
  sessionTtlSeconds: number;
}

const InteractionId = Type.String({ maxLength: 64 });
const InteractionQuery = Type.Object({ interaction: Type.Optional(InteractionId) });
const Csrf = Type.String({ maxLength: 100 });

export const hostedPageRoutes: FastifyPluginAsync<HostedPagesOptions> = async (app, options) => {
  const { tenants, auth, oauth, cookies } = options;
  // HTML forms post url-encoded bodies; only in this plugin's scope (the JSON API stays JSON-only, or any
  // site could post a cross-origin form to it without a CORS preflight).
  await app.register(formbody, { bodyLimit: 16 * 1024 });

  const tenant = (request: FastifyRequest) => tenantOf(request, tenants);
  const ctxOf = (request: FastifyRequest, reply: FastifyReply, t: Tenant) =>
    pageContext(options, request, reply, t);

  /** A page's form: CSRF checked first; an authorization in progress must still be the one named. */
  const checkForm = (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    body: { csrf_token?: string; interaction?: string },
  ) => {
    if (!csrfValid(options, request, t, body.csrf_token)) {
      sendErrorPage(
        reply,
        t,
        403,
        'Request expired',
        'This form has expired or was not sent from this site. Go back, reload the page and try again.',
      );
      return { ok: false as const };
    }
    if (body.interaction === undefined) return { ok: true as const, interaction: null };
    const interaction = currentInteraction(options, request, t, body.interaction);
    if (!interaction) {
      interactionExpired(reply, t);
      return { ok: false as const };
    }
    return { ok: true as const, interaction };
  };

  /** A fresh browser session: replaces any earlier one in this browser, then continues the authorization. */
  const startSession = async (
    request: FastifyRequest,
    reply: FastifyReply,
    t: Tenant,
    login: Awaited<ReturnType<typeof auth.browserLogin>>,
    interaction: ReturnType<typeof currentInteraction>,
  ) => {
    const previous = await currentSession(options, request, t);
    if (previous) await auth.revokeSessions(t, { sessionId: previous.id }, 'replaced_by_login');
    cookies.set(reply, 'session', t, login.cookie, options.sessionTtlSeconds);
    if (!interaction) {
      return sendHtml(
        reply,
        200,
        loginPage(ctxOf(request, reply, t), { notice: `You are signed in as ${login.user.email}.` }),
      );
    }
    const session = {
      sessionId: login.session.id,
      userId: login.user.id,
      email: login.user.email,
      authTime: login.session.auth_time,
      amr: login.session.amr,
    };
    const outcome = await oauth.authorize(t, interaction.params, session, {
      ...interaction,
      loginSessionId: session.sessionId,
    });
    return sendOutcome(options, reply, t, outcome);
  };

  /** The redirect target an interaction will end at, for the pages' form-action. */
  const targetOf = (interaction: ReturnType<typeof currentInteraction>) => interaction?.params.redirect_uri;

  /** The login form's email and the account an id_token_hint asks for (with who is signed in instead). */
  const loginFor = async (request: FastifyRequest, t: Tenant, interaction: Interaction | null) => {
    const wanted = interaction?.loginAs;
    if (!wanted) return { email: interaction?.params.login_hint };
    const session = await currentSession(options, request, t);
    const signedInAs = session && session.user_id !== wanted.userId ? session.email : undefined;
    return {
      email: wanted.prefill ? wanted.email : interaction.params.login_hint,
      loginAs: { email: wanted.email, signedInAs },
    };
  };

  // --- sign in ---
  app.get(
    '/login',
    { schema: { params: TenantParams, querystring: InteractionQuery } },
    async (request, reply) => {
      const t = await tenant(request);
      const id = (request.query as { interaction?: string }).interaction;
      const interaction = id ? currentInteraction(options, request, t, id) : null;
      if (id && !interaction) return interactionExpired(reply, t);
      return sendHtml(
        reply,
        200,
        loginPage(ctxOf(request, reply, t), {
          interaction: id,
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
        params: TenantParams,
        body: Type.Object({
          email: Email,
          password: Password,
          csrf_token: Type.Optional(Csrf),
          interaction: Type.Optional(InteractionId),
        }),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as {
        email: string;
        password: string;
        csrf_token?: string;
        interaction?: string;
      };
      const form = checkForm(request, reply, t, body);
      if (!form.ok) return reply;
      try {
        const login = await auth.browserLogin(t, body, metaOf(request));
        return await startSession(request, reply, t, login, form.interaction);
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        const status = error.code === 'rate_limited' ? 429 : error.code === 'access_denied' ? 403 : 401;
        const page = loginPage(ctxOf(request, reply, t), {
          interaction: body.interaction,
          ...(await loginFor(request, t, form.interaction)),
          email: body.email,
          error: error.description,
        });
        return sendHtml(reply, status, page, { formTarget: targetOf(form.interaction) });
      }
    },
  );

  // --- create an account ---
  const passwordHints = (t: Tenant) => {
    const policy = auth.passwordPolicy(t);
    const hints = [`At least ${policy.minLength} characters`];
    if (policy.requireUppercase) hints.push('An uppercase letter');
    if (policy.requireLowercase) hints.push('A lowercase letter');
    if (policy.requireDigit) hints.push('A digit');
    if (policy.requireSymbol) hints.push('A symbol');
    if (policy.rejectCommon) hints.push('Not a commonly used password');
    return hints;
  };

  app.get(
    '/register',
    { schema: { params: TenantParams, querystring: InteractionQuery } },
    async (request, reply) => {
      const t = await tenant(request);
      const id = (request.query as { interaction?: string }).interaction;
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
        params: TenantParams,
        body: Type.Object({
          email: Email,
          password: Password,
          name: Type.Optional(Name),
          csrf_token: Type.Optional(Csrf),
          interaction: Type.Optional(InteractionId),
        }),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as {
        email: string;
        password: string;
        name?: string;
        csrf_token?: string;
        interaction?: string;
      };
      const form = checkForm(request, reply, t, body);
      if (!form.ok) return reply;
      try {
        await auth.register(
          t,
          { email: body.email, password: body.password, name: body.name },
          metaOf(request),
        );
        const login = await auth.browserLogin(t, body, metaOf(request));
        return await startSession(request, reply, t, login, form.interaction);
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

  // --- forgot and reset password ---
  app.get('/forgot', { schema: { params: TenantParams } }, async (request, reply) => {
    const t = await tenant(request);
    return sendHtml(reply, 200, forgotPage(ctxOf(request, reply, t), {}));
  });

  app.post(
    '/forgot',
    {
      schema: { params: TenantParams, body: Type.Object({ email: Email, csrf_token: Type.Optional(Csrf) }) },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as { email: string; csrf_token?: string };
      if (!checkForm(request, reply, t, body).ok) return reply;
      try {
        await auth.forgotPassword(t, body.email, metaOf(request));
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code !== 'rate_limited') throw error;
        return sendHtml(
          reply,
          429,
          forgotPage(ctxOf(request, reply, t), { email: body.email, error: error.description }),
        );
      }
      return sendHtml(reply, 200, forgotPage(ctxOf(request, reply, t), { sent: true }));
    },
  );

  app.get(
    '/reset-password',
    { schema: { params: TenantParams, querystring: Type.Object({ token: Type.Optional(OpaqueToken) }) } },
    async (request, reply) => {
      const t = await tenant(request);
      const token = (request.query as { token?: string }).token ?? '';
      return sendHtml(reply, 200, resetPasswordPage(ctxOf(request, reply, t), { token }));
    },
  );

  app.post(
    '/reset-password',
    {
      schema: {
        params: TenantParams,
        body: Type.Object({
          token: OpaqueToken,
          password: Password,
          confirm: Type.Optional(Password),
          csrf_token: Type.Optional(Csrf),
        }),
      },
    },
    async (request, reply) => {
      const t = await tenant(request);
      const body = request.body as { token: string; password: string; confirm?: string; csrf_token?: string };
      if (!checkForm(request, reply, t, body).ok) return reply;
      const ctx = ctxOf(request, reply, t);
      if (body.confirm !== undefined && body.confirm !== body.password)
        return sendHtml(
          reply,
          400,
          resetPasswordPage(ctx, { token: body.token, error: 'The two passwords do not match.' }),
        );
      try {
        await auth.resetPassword(t, body.token, body.password, metaOf(request));
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        return sendHtml(reply, 400, resetPasswordPage(ctx, { token: body.token, error: error.description }));
      }
      return sendHtml(reply, 200, resetPasswordPage(ctx, { token: '', done: true }));
    },
  );

  // --- consent ---
  const showConsent = async (request: FastifyRequest, reply: FastifyReply) => {
    const t = await tenant(request);
    const id = (request.query as { interaction?: string }).interaction;
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

  const decideConsent = async (request: FastifyRequest, reply: FastifyReply) => {
    const t = await tenant(request);
    const body = request.body as { decision: 'allow' | 'deny'; csrf_token?: string; interaction: string };
    const form = checkForm(request, reply, t, body);
    if (!form.ok) return reply;
    const session = await currentSession(options, request, t);
    if (!session || !form.interaction)
      return sendErrorPage(
        reply,
        t,
        400,
        'Signed out',
        'You are no longer signed in. Go back to the application and start again.',
      );
    const outcome = await oauth.consent(
      t,
      form.interaction,
      signedIn(session),
      body.decision,
      metaOf(request),
    );
    return sendOutcome(options, reply, t, outcome);
  };

  const ConsentBody = Type.Object({
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    csrf_token: Type.Optional(Csrf),
    interaction: InteractionId,
  });
  for (const path of ['/consent', '/oauth2/consent']) {
    app.get(path, { schema: { params: TenantParams, querystring: InteractionQuery } }, showConsent);
    app.post(path, { schema: { params: TenantParams, body: ConsentBody } }, decideConsent);
  }
};

/** The interaction a form or link names is gone (expired, or replaced by a newer sign-in in this browser). */
function interactionExpired(reply: FastifyReply, t: Tenant) {
  return sendErrorPage(
    reply,
    t,
    400,
    'Sign-in request expired',
    'This sign-in request has expired. Go back to the application and start again.',
  );
}
