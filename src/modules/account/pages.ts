// The account page (/account): the signed-in user's profile, password, sessions, and the sections other
// modules add (AccountSection). Without a browser session it sends the user to sign in and back. Each form
// posts to its own path, CSRF-checked; done, it answers 303 to /account?notice=<code> (a reload posts
// nothing); refused, it shows the page again with the reason in the form's card and the error's status.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionWithUser } from '../../db/repositories/sessions.js';
import { HelloJohnError } from '../../errors.js';
import { ACCOUNT_SIGN_IN, accountFormSession } from '../../http/account-forms.js';
import { basePath, currentSession, pageContext, sendHtml } from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, SECURITY, redirect, tenantPath } from '../../http/schemas/common.js';
import { pageAnswers } from '../../http/schemas/pages.js';
import { passwordHintsOf } from '../../http/views/pages.js';
import type { AccountSectionArgs, PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import type { Registration } from '../../auth/registration.js';
import { AccountQuery, CsrfOnlyForm, NameForm, PasswordForm, SessionForm } from './schemas.js';
import type { Account } from './service.js';
import { accountPage, type CoreCard } from './views.js';

/** A confirmation, and the section whose card shows it (none: the top of the page). */
interface Notice {
  text: string;
  section?: string;
}

/** The confirmations of the core cards, by `?notice=` code. */
const NOTICES: Readonly<Record<string, string>> = {
  name_saved: 'Your name is saved.',
  password_changed: 'Your password is changed. Your other sessions are signed out.',
  password_set: 'Your password is set. You can sign in with your email address and it, too.',
  session_signed_out: 'That session is signed out.',
  others_signed_out: 'Your other sessions are signed out.',
};

export const accountPageRoutes =
  (
    account: Account,
    registration: Pick<Registration, 'passwordPolicy'>,
  ): FastifyPluginAsync<{ kit: PageKit }> =>
  async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const page = { tags: ['pages'], security: SECURITY.sessionCookie, params: tenantPath(app.prefix, {}) };
    const form = { ...page, consumes: FORM };
    const toSignIn = redirect('Not signed in: to the sign-in page, which returns here afterwards.');
    const done = redirect('Done, or not signed in: back to the account page (or to sign in first).');
    const expired = { 403: 'The form expired (its CSRF token is not valid).' };
    const tenant = (request: FastifyRequest) => tenantOf(request, kit.tenants);
    /** The confirmations by code: the core's show at the top of the page, a section's in its card. */
    const notices = new Map<string, Notice>(Object.entries(NOTICES).map(([code, text]) => [code, { text }]));
    for (const section of kit.accountSections)
      for (const [code, text] of Object.entries(section.notices ?? {}))
        notices.set(code, { text, section: section.id });

    const signIn = (reply: FastifyReply, t: Tenant) =>
      reply.redirect(`${basePath(t)}${ACCOUNT_SIGN_IN}`, 303);
    const backToAccount = (reply: FastifyReply, t: Tenant, notice: keyof typeof NOTICES) =>
      reply.redirect(`${basePath(t)}/account?notice=${notice}`, 303);

    /** The page, with a confirmation or a form's error (and the status that goes with it). */
    const render = async (
      request: FastifyRequest,
      reply: FastifyReply,
      t: Tenant,
      session: SessionWithUser,
      state: { status: number; notice?: Notice; error?: { card: CoreCard; message: string }; name?: string },
    ) => {
      const ctx = pageContext(kit, request, reply, t);
      const now = new Date();
      const overview = await account.overview(t, session, now);
      const reauthenticateHref = `${ctx.basePath}${ACCOUNT_SIGN_IN}`;
      const args: AccountSectionArgs = {
        tenant: t,
        user: overview.user,
        hasPassword: session.has_password,
        session: { id: session.id, amr: session.amr, authTime: session.auth_time },
        page: ctx,
        recentSignIn: overview.recentSignIn,
        reauthenticateHref,
      };
      const scripts = [...new Set(kit.accountSections.flatMap((s) => s.scripts ?? []))].map(
        (path) => `${ctx.basePath}${path}`,
      );
      const sections = await Promise.all(
        kit.accountSections.map(async (s) => ({
          id: s.id,
          title: s.title,
          body: await s.render(args),
          notice: state.notice?.section === s.id ? state.notice.text : undefined,
        })),
      );
      const html = accountPage(ctx, {
        account: overview,
        passwordHints: passwordHintsOf(registration.passwordPolicy(t)),
        reauthenticateHref,
        sections,
        notice: state.notice?.section === undefined ? state.notice?.text : undefined,
        error: state.error,
        name: state.name,
        now,
        scripts,
      });
      return sendHtml(reply, state.status, html, { scripts: scripts.length > 0 });
    };

    /** A refusal the user can act on: the page again, the reason in the card of the form. */
    const refused = async (
      request: FastifyRequest,
      reply: FastifyReply,
      t: Tenant,
      session: SessionWithUser,
      card: CoreCard,
      error: unknown,
      keep: { name?: string } = {},
    ) => {
      if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
      reply.headers(error.headers);
      return render(request, reply, t, session, {
        status: error.status,
        error: { card, message: error.description },
        ...keep,
      });
    };

    app.get(
      '/account',
      {
        schema: {
          ...page,
          summary: 'The account page (profile, password, sessions)',
          description: 'Signed out, it redirects to the sign-in page, which returns here.',
          querystring: AccountQuery,
          response: { ...pageAnswers(), 303: toSignIn },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await currentSession(kit, request, t);
        if (!session) return signIn(reply, t);
        const code = request.query.notice;
        return render(request, reply, t, session, {
          status: 200,
          notice: code === undefined ? undefined : notices.get(code),
        });
      },
    );

    app.post(
      '/account/profile',
      {
        schema: {
          ...form,
          summary: 'Change the name (the account page\u2019s profile form)',
          body: NameForm,
          response: { ...pageAnswers({ ...expired }, [413, 415]), 303: done },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await accountFormSession(kit, request, reply, t, request.body);
        if (!session) return reply;
        try {
          await account.updateName(t, session, request.body.name, metaOf(request));
        } catch (error) {
          return refused(request, reply, t, session, 'profile', error, { name: request.body.name });
        }
        return backToAccount(reply, t, 'name_saved');
      },
    );

    app.post(
      '/account/password',
      {
        schema: {
          ...form,
          summary: 'Change or set the password (the account page\u2019s password form)',
          description:
            'Needs a recent sign-in (SESSION_RECENT_LOGIN; else 401 `login_required`). An account with a password gives the current one, which counts against the sign-in limits like a sign-in; every other session is signed out (`?notice=password_changed`). An account without one (a social or passkey sign-up) sets its first password without `current_password`: the recent sign-in is the proof; its other sessions stay (`?notice=password_set`), and the password joins its ways to sign in.',
          body: PasswordForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                400: 'The page again: the new password is refused by the password policy, the two differ, or the current one is missing.',
                401: 'The page again: the current password is wrong, or the sign-in is not recent.',
                409: 'The page again: a first password was set a moment ago (another tab).',
                429: 'The page again: too many attempts.',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const body = request.body;
        const session = await accountFormSession(kit, request, reply, t, body);
        if (!session) return reply;
        if (body.confirm !== undefined && body.confirm !== body.new_password)
          return render(request, reply, t, session, {
            status: 400,
            error: { card: 'password', message: 'The two new passwords do not match.' },
          });
        let done: 'changed' | 'set';
        try {
          done = await account.changePassword(
            t,
            session,
            { currentPassword: body.current_password, newPassword: body.new_password },
            metaOf(request),
          );
        } catch (error) {
          return refused(request, reply, t, session, 'password', error);
        }
        return backToAccount(reply, t, done === 'set' ? 'password_set' : 'password_changed');
      },
    );

    app.post(
      '/account/sessions/sign-out',
      {
        schema: {
          ...form,
          summary: 'Sign out one of the user\u2019s sessions (the account page)',
          body: SessionForm,
          response: {
            ...pageAnswers({ ...expired, 404: 'The page again: no such session of this user.' }, [413, 415]),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await accountFormSession(kit, request, reply, t, request.body);
        if (!session) return reply;
        try {
          await account.signOutSession(t, session, request.body.session_id, metaOf(request));
        } catch (error) {
          return refused(request, reply, t, session, 'sessions', error);
        }
        return backToAccount(reply, t, 'session_signed_out');
      },
    );

    app.post(
      '/account/sessions/sign-out-others',
      {
        schema: {
          ...form,
          summary: 'Sign out every other session of the user (the account page)',
          body: CsrfOnlyForm,
          response: { ...pageAnswers({ ...expired }, [413, 415]), 303: done },
        },
      },
      async (request, reply) => {
        const t = await tenant(request);
        const session = await accountFormSession(kit, request, reply, t, request.body);
        if (!session) return reply;
        await account.signOutOtherSessions(t, session, metaOf(request));
        return backToAccount(reply, t, 'others_signed_out');
      },
    );
  };
