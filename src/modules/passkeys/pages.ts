// The passkeys on the hosted pages: the scripts (ours and @simplewebauthn/browser's bundle, served from
// this origin so the pages' CSP allows 'self' and nothing else), sign-in from /login, the account page's
// card (add, rename, delete), and the page after a sign-up that offers to add one (/signup/passkey, the
// module's SignUpStep). JSON only where the script asks for options; every other answer is a page or a
// 303, as for any form. A tenant with passkeys off has no passkey sign-in or adding pages (404).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Login } from '../../auth/login.js';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { HelloJohnError } from '../../errors.js';
import {
  basePath,
  checkPageForm,
  csrfValid,
  currentInteraction,
  currentSession,
  interactionExpired,
  pageContext,
  sendErrorPage,
  sendHtml,
} from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, SECURITY, errors, redirect, tenantPath } from '../../http/schemas/common.js';
import { pageAnswers } from '../../http/schemas/pages.js';
import type { PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { parseAssertion, parseAttestation, type PasskeyAuthenticator } from './methods.js';
import {
  AddPasskeyForm,
  CreationOptions,
  DeletePasskeyForm,
  LoginPasskeyForm,
  OptionsForm,
  RenamePasskeyForm,
  RequestOptions,
  SignUpPasskeyForm,
  SignUpStepQuery,
} from './schemas.js';
import type { Passkeys } from './service.js';
import { signUpPasskeyPage } from './views.js';

/** The page after a sign-up (PageContributions.afterSignUp): the module's SignUpStep path. */
export const SIGN_UP_STEP = '/signup/passkey';

/** The account page's confirmations (and refusals), by `?notice=` code. */
export const PASSKEY_NOTICES = {
  passkey_added: 'Your passkey is added. Next time, sign in with it instead of your password.',
  passkey_renamed: 'The passkey is renamed.',
  passkey_deleted: 'The passkey is deleted.',
  passkey_not_added: 'No passkey was added: the request expired or could not be verified. Try again.',
  passkey_exists: 'That passkey is already on your account.',
  passkey_last: 'That passkey is your only way to sign in. Add another way before you delete it.',
  passkey_confirm: 'Confirm it\u2019s you: sign in again, then add or delete the passkey.',
  passkey_unnamed: 'Give the passkey a name.',
  passkey_gone: 'That passkey is no longer on your account.',
} as const;
type Notice = keyof typeof PASSKEY_NOTICES;

/** What a refusal on the account page tells the user. */
function noticeOf(error: HelloJohnError, refused: Notice): Notice {
  switch (error.code) {
    case 'conflict':
      return refused === 'passkey_not_added' ? 'passkey_exists' : 'passkey_last';
    case 'login_required':
      return 'passkey_confirm';
    case 'not_found':
      return 'passkey_gone';
    default:
      return refused;
  }
}

const require = createRequire(import.meta.url);
/** @simplewebauthn/browser's UMD bundle (window.SimpleWebAuthnBrowser), next to its CommonJS entry. */
const BUNDLE = path.join(
  path.dirname(require.resolve('@simplewebauthn/browser')),
  '../dist/bundle/index.umd.min.js',
);
const OURS = new URL('../../../assets/passkeys.js', import.meta.url);

const script = (description: string) =>
  Type.Unsafe<string>({ description, content: { 'text/javascript': { schema: { type: 'string' } } } });

export function passkeyPages(
  passkeys: Passkeys,
  authenticator: PasskeyAuthenticator,
  login: Login,
  recentSignIn: RecentSignIn,
): FastifyPluginAsync<{ kit: PageKit }> {
  const files = { webauthn: readFileSync(BUNDLE, 'utf8'), passkeys: readFileSync(OURS, 'utf8') };
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const params = tenantPath(app.prefix, {});
    const page = { tags: ['pages'], params };
    const form = { ...page, security: SECURITY.sessionCookieOrNone, consumes: FORM };
    const account = { ...page, security: SECURITY.sessionCookie, consumes: FORM };
    const tenant = (request: FastifyRequest) => tenantOf(request, kit.tenants);
    const expired = { 403: 'The form expired (its CSRF token is not valid).' };
    const done = redirect('Back to the account page (`?notice=`), or to sign in first.');

    for (const [name, text] of Object.entries(files))
      app.get(
        `/assets/${name}.js`,
        {
          schema: {
            ...page,
            summary: `The ${name === 'webauthn' ? '@simplewebauthn/browser bundle' : 'passkey forms\u2019 script'} the hosted pages load`,
            response: { 200: script('JavaScript.'), ...errors(404) },
          },
        },
        async (_request, reply) =>
          reply
            .header('cache-control', 'public, max-age=3600')
            .type('text/javascript; charset=utf-8')
            .send(text),
      );

    /** A page of a tenant with passkeys off: it does not exist there (as email sign-in's pages). */
    const off = (reply: FastifyReply, t: Tenant) =>
      sendErrorPage(reply, t, 'not_found', 'The tenant has passkeys off.');

    /** The options route's CSRF check: the error page (403) when it fails. */
    const checked = async (request: FastifyRequest, reply: FastifyReply, t: Tenant, token?: string) => {
      if (csrfValid(kit, request, t, token)) return true;
      await sendErrorPage(reply, t, 'form_expired', 'The CSRF token is missing or not valid.');
      return false;
    };

    // --- sign in ---
    app.post(
      '/login/passkey/options',
      {
        schema: {
          ...form,
          summary: 'Options to sign in with a passkey (the sign-in page\u2019s script)',
          description: 'As POST /v2/auth/webauthn/login/begin, for the hosted pages (CSRF-checked).',
          body: OptionsForm,
          response: { ...pageAnswers({ ...expired }, [413, 415, 429]), 200: RequestOptions },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!passkeys.offered(t)) return off(reply, t);
        if (!(await checked(request, reply, t, request.body.csrf_token))) return reply;
        return passkeys.authenticationOptions(t, metaOf(request));
      },
    );

    app.post(
      '/login/passkey',
      {
        schema: {
          ...form,
          summary: 'Sign in with a passkey (the sign-in page)',
          description:
            'The answer of navigator.credentials.get() as JSON in `response`. Continues the authorization in ' +
            'progress like the sign-in form; a passkey with user verification needs no second step.',
          body: LoginPasskeyForm,
          response: {
            ...pageAnswers(
              {
                200: 'The form_post page of the authorization, or the second-step page.',
                401: 'The sign-in page again: the passkey could not be verified.',
                403: 'The sign-in page again (the account is blocked), or the form expired.',
                429: 'The sign-in page again: too many attempts.',
              },
              [413, 415],
            ),
            303: redirect('Signed in: on to the authorization in progress, or to /login.'),
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!passkeys.offered(t)) return off(reply, t);
        const body = request.body;
        const checkedForm = checkPageForm(kit, request, reply, t, body);
        if (!checkedForm.ok) return reply;
        const returnTo = checkedForm.interaction ? undefined : body.return_to;
        return kit.finishSignIn(
          request,
          reply,
          t,
          { interaction: checkedForm.interaction, returnTo },
          async () => {
            const response = parseAssertion(body.response);
            if (!response)
              throw new HelloJohnError('invalid_request', 'The passkey answer is not valid. Try again.');
            return login.browser(t, authenticator, { response }, metaOf(request), 'page');
          },
        );
      },
    );

    // --- the account page's card ---
    /** CSRF, then the browser's session: null when the answer (error page, or to sign in) is sent. */
    const accountSession = async (
      request: FastifyRequest,
      reply: FastifyReply,
      t: Tenant,
      token?: string,
    ) => {
      if (!(await checked(request, reply, t, token))) return null;
      const session = await currentSession(kit, request, t);
      if (!session) await reply.redirect(`${basePath(t)}/login?return_to=/account`, 303);
      return session;
    };
    const back = (reply: FastifyReply, t: Tenant, notice: Notice) =>
      reply.redirect(`${basePath(t)}/account?notice=${notice}#passkeys`, 303);
    /** Runs a change; a refusal the user can act on comes back as the card's notice. */
    const change = async (
      reply: FastifyReply,
      t: Tenant,
      ok: Notice,
      refused: Notice,
      run: () => Promise<unknown>,
    ) => {
      try {
        await run();
      } catch (error) {
        if (
          !(error instanceof HelloJohnError) ||
          error.code === 'service_unavailable' ||
          error.code === 'rate_limited'
        )
          throw error;
        return back(reply, t, noticeOf(error, refused));
      }
      return back(reply, t, ok);
    };

    app.post(
      '/account/passkeys/options',
      {
        schema: {
          ...account,
          summary: 'Options to add a passkey (the account page\u2019s script)',
          description: 'As POST /v2/auth/webauthn/register/begin, for the signed-in browser (CSRF-checked).',
          body: OptionsForm,
          response: {
            ...pageAnswers(
              { ...expired, 401: 'The sign-in is not recent: sign in again first.' },
              [413, 415],
            ),
            200: CreationOptions,
            303: redirect('Not signed in: to the sign-in page.'),
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!passkeys.offered(t)) return off(reply, t);
        const session = await accountSession(request, reply, t, request.body.csrf_token);
        if (!session) return reply;
        recentSignIn.require(session, 'add a passkey');
        return passkeys.registrationOptions(t, session.user_id);
      },
    );

    app.post(
      '/account/passkeys',
      {
        schema: {
          ...account,
          summary: 'Add a passkey (the account page)',
          description: 'The answer of navigator.credentials.create() as JSON in `response`, and a name.',
          body: AddPasskeyForm,
          response: { ...pageAnswers({ ...expired }, [413, 415]), 303: done },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!passkeys.offered(t)) return off(reply, t);
        const body = request.body;
        const session = await accountSession(request, reply, t, body.csrf_token);
        if (!session) return reply;
        return change(reply, t, 'passkey_added', 'passkey_not_added', async () => {
          recentSignIn.require(session, 'add a passkey');
          const response = parseAttestation(body.response);
          if (!response) throw new HelloJohnError('invalid_request', 'The passkey answer is not valid.');
          await passkeys.register(t, session.user_id, response, body.name, {
            via: 'account',
            meta: metaOf(request),
          });
        });
      },
    );

    app.post(
      '/account/passkeys/rename',
      {
        schema: {
          ...account,
          summary: 'Rename a passkey (the account page)',
          body: RenamePasskeyForm,
          response: { ...pageAnswers({ ...expired }, [413, 415]), 303: done },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
        const session = await accountSession(request, reply, t, body.csrf_token);
        if (!session) return reply;
        return change(reply, t, 'passkey_renamed', 'passkey_unnamed', () =>
          passkeys.rename(t, session.user_id, body.passkey_id, body.name, {
            via: 'account',
            meta: metaOf(request),
          }),
        );
      },
    );

    app.post(
      '/account/passkeys/delete',
      {
        schema: {
          ...account,
          summary: 'Delete a passkey (the account page)',
          description: 'Needs a recent sign-in; never the account\u2019s only way to sign in.',
          body: DeletePasskeyForm,
          response: { ...pageAnswers({ ...expired }, [413, 415]), 303: done },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
        const session = await accountSession(request, reply, t, body.csrf_token);
        if (!session) return reply;
        return change(reply, t, 'passkey_deleted', 'passkey_gone', async () => {
          recentSignIn.require(session, 'delete a passkey');
          await passkeys.remove(t, session.user_id, body.passkey_id, {
            via: 'account',
            meta: metaOf(request),
          });
        });
      },
    );

    // --- right after a sign-up: "Sign in faster next time" ---
    /** Where the page goes on to, as its query and forms carry it (an authorization in progress wins). */
    const goingOn = (t: Tenant, interaction: string | undefined, returnTo: string | undefined) => {
      const query = interaction
        ? `?interaction=${encodeURIComponent(interaction)}`
        : returnTo
          ? `?return_to=${encodeURIComponent(returnTo)}`
          : '';
      return `${basePath(t)}${SIGN_UP_STEP}/continue${query}`;
    };
    /** The interaction the query names, when it is still the browser's; false when it is gone. */
    const interactionOf = (request: FastifyRequest, t: Tenant, id: string | undefined) => {
      if (id === undefined) return null;
      return currentInteraction(kit, request, t, id) ?? false;
    };
    const skipped = { 303: redirect('On to the authorization in progress, the return_to page, or /login.') };

    app.get(
      SIGN_UP_STEP,
      {
        schema: {
          ...page,
          security: SECURITY.sessionCookie,
          summary: 'Offer a passkey right after a sign-up (the sign-up goes here first)',
          description:
            'Shown once, after the create-an-account form signed the user in, when the tenant has passkeys on ' +
            'and the user has none: "Add a passkey" (the script, with a browser that supports passkeys) or ' +
            '"Not now". Otherwise, and without JavaScript or passkeys, the browser goes straight on.',
          querystring: SignUpStepQuery,
          response: { ...pageAnswers(), ...skipped },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const { interaction: id, return_to: returnTo } = request.query;
        const interaction = interactionOf(request, t, id);
        if (interaction === false) return interactionExpired(reply, t);
        const session = await currentSession(kit, request, t);
        if (!session) return reply.redirect(`${basePath(t)}/login`, 303);
        const form = { interaction, returnTo: interaction ? undefined : returnTo };
        // Nothing to offer: passkeys off, a sign-in no longer recent enough to add one, or one already there.
        if (
          !passkeys.offered(t) ||
          !recentSignIn.isRecentSignIn(session) ||
          (await passkeys.list(t, session.user_id)).length > 0
        )
          return kit.continueSignUp(request, reply, t, form, SIGN_UP_STEP);
        const html = signUpPasskeyPage(pageContext(kit, request, reply, t), {
          interaction: interaction?.id,
          returnTo: form.returnTo,
          skipHref: goingOn(t, interaction?.id, form.returnTo),
        });
        // The add form's answer may redirect to the application: the pages' form-action must allow it.
        return sendHtml(reply, 200, html, { scripts: true, formTarget: interaction?.params.redirect_uri });
      },
    );

    app.get(
      `${SIGN_UP_STEP}/continue`,
      {
        schema: {
          ...page,
          security: SECURITY.sessionCookie,
          summary: 'Not now: on from the page after a sign-up',
          description: 'Where the sign-up was going: the authorization in progress, return_to, or /login.',
          querystring: SignUpStepQuery,
          response: { ...pageAnswers({ 200: 'The form_post page of the authorization.' }), ...skipped },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const { interaction: id, return_to: returnTo } = request.query;
        const interaction = interactionOf(request, t, id);
        if (interaction === false) return interactionExpired(reply, t);
        const form = { interaction, returnTo: interaction ? undefined : returnTo };
        return kit.continueSignUp(request, reply, t, form, SIGN_UP_STEP);
      },
    );

    app.post(
      SIGN_UP_STEP,
      {
        schema: {
          ...account,
          summary: 'Add a passkey right after a sign-up',
          description:
            'The answer of navigator.credentials.create() (options from /account/passkeys/options) as JSON in ' +
            '`response`; then on to where the sign-up was going. A passkey that could not be added: the page ' +
            'again, saying so.',
          body: SignUpPasskeyForm,
          response: {
            ...pageAnswers(
              {
                400: 'The page again: the passkey could not be added.',
                409: 'The page again: that passkey is on the account already.',
                ...expired,
              },
              [413, 415],
            ),
            ...skipped,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        if (!passkeys.offered(t)) return off(reply, t);
        const body = request.body;
        const checkedForm = checkPageForm(kit, request, reply, t, body);
        if (!checkedForm.ok) return reply;
        const session = await currentSession(kit, request, t);
        if (!session) return reply.redirect(`${basePath(t)}/login`, 303);
        const { interaction } = checkedForm;
        const form = { interaction, returnTo: interaction ? undefined : body.return_to };
        try {
          recentSignIn.require(session, 'add a passkey');
          const response = parseAttestation(body.response);
          if (!response) throw new HelloJohnError('invalid_request', 'The passkey answer is not valid.');
          await passkeys.register(t, session.user_id, response, undefined, {
            via: 'sign_up',
            meta: metaOf(request),
          });
        } catch (error) {
          if (
            !(error instanceof HelloJohnError) ||
            error.code === 'service_unavailable' ||
            error.code === 'rate_limited'
          )
            throw error;
          const html = signUpPasskeyPage(pageContext(kit, request, reply, t), {
            interaction: interaction?.id,
            returnTo: form.returnTo,
            skipHref: goingOn(t, interaction?.id, form.returnTo),
            error:
              'No passkey was added: the request expired or could not be verified. Try again, or choose Not now.',
          });
          return sendHtml(reply, error.code === 'conflict' ? 409 : 400, html, {
            scripts: true,
            formTarget: interaction?.params.redirect_uri,
          });
        }
        return kit.continueSignUp(request, reply, t, form, SIGN_UP_STEP);
      },
    );
  };
}
