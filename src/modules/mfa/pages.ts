// The MFA card's forms on the account page (AccountSection, account-section.ts): set up an authenticator
// app, new recovery codes, the preferred method, remove one; the email and phone steps are in
// codes/pages.ts. Without JavaScript: each form posts here with the CSRF token; a change needs a recent
// sign-in (else the card says "Confirm it's you", 401). Done, 303 to /account?notice=<code>; a step (the QR
// code, recovery codes) is the answer's own page, never kept for a later request.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { pageAnswers } from '../../http/schemas/pages.js';
import type { PageKit } from '../../kernel/module.js';
import { totpSetupCard } from './account-views.js';
import { codePageRoutes } from './codes/pages.js';
import type { CodeFactorEnrollment } from './codes/service.js';
import { MfaPages } from './pages-kit.js';
import { CodeForm, CsrfForm, PreferredForm, RemoveForm } from './schemas.js';
import type { Mfa } from './service.js';

const SET_UP_APP = 'Set up an authenticator app';

export function mfaPageRoutes(
  mfa: Mfa,
  codes: CodeFactorEnrollment,
  recentSignIn: RecentSignIn,
): FastifyPluginAsync<{ kit: PageKit }> {
  return async (plugin, { kit }) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const pages = new MfaPages(kit, mfa, recentSignIn);
    const { form, done, expired, notRecent, wrongCode } = MfaPages.schemas(app.prefix);

    app.post(
      '/account/mfa/totp',
      {
        schema: {
          ...form,
          summary: 'Start setting up an authenticator app (the account page)',
          description:
            'Needs a recent sign-in. Answers the QR code, the key and the code field (a new secret each time; an earlier unconfirmed one is replaced).',
          body: CsrfForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...notRecent,
                403: 'The card again: the tenant does not offer authenticator apps (or the form expired).',
                409: 'The card again: an authenticator app is already set up.',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await pages.begin(request, reply, {
          form: request.body,
          change: 'set up an authenticator app',
        });
        if (!step) return reply;
        try {
          const enrollment = await mfa.enrollTotp(step.t, step.actor.user, step.actor.meta, {
            recoveryCodes: false,
          });
          return await pages.page(reply, step, 200, SET_UP_APP, totpSetupCard(step.ctx, { enrollment }));
        } catch (error) {
          return pages.refused(reply, step, error);
        }
      },
    );

    app.post(
      '/account/mfa/totp/confirm',
      {
        schema: {
          ...form,
          summary: 'Confirm the authenticator app with its first code (the account page)',
          description:
            'Needs a recent sign-in. With the user\u2019s first factor the answer shows the new recovery codes, once; otherwise 303 to the account page.',
          body: CodeForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...wrongCode,
                200: 'The recovery codes, shown this once (the user\u2019s first factor).',
                409: 'The card again: the authenticator app is already set up.',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await pages.begin(request, reply, {
          form: request.body,
          change: 'set up an authenticator app',
        });
        if (!step) return reply;
        try {
          await mfa.confirmTotp(step.t, step.actor, request.body.code);
        } catch (error) {
          return pages.refused(reply, step, error, (message) => [
            SET_UP_APP,
            totpSetupCard(step.ctx, { error: message }),
          ]);
        }
        return pages.confirmed(reply, step, 'totp_added');
      },
    );

    app.post(
      '/account/mfa/recovery-codes',
      {
        schema: {
          ...form,
          summary: 'New recovery codes (the account page)',
          description:
            'Needs a recent sign-in. Answers ten new codes, shown this once; every earlier code stops working.',
          body: CsrfForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...notRecent,
                200: 'The new recovery codes, shown this once.',
                409: 'The card again: the user has no second factor (recovery codes come with one).',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await pages.begin(request, reply, {
          form: request.body,
          change: 'create new recovery codes',
        });
        if (!step) return reply;
        try {
          const codes = await mfa.regenerateRecoveryCodes(step.t, step.actor);
          return await pages.recoveryCodes(reply, step, codes);
        } catch (error) {
          return pages.refused(reply, step, error);
        }
      },
    );

    app.post(
      '/account/mfa/preferred',
      {
        schema: {
          ...form,
          summary: 'Choose the method a sign-in asks for first (the account page)',
          body: PreferredForm,
          response: {
            ...pageAnswers(
              { ...expired, 400: 'The card again: not one of the user\u2019s methods.' },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await pages.begin(request, reply, { form: request.body });
        if (!step) return reply;
        try {
          await mfa.setPreferred(step.t, step.actor, request.body.factor);
        } catch (error) {
          return pages.refused(reply, step, error);
        }
        return pages.done(reply, step, 'preferred_set');
      },
    );

    app.post(
      '/account/mfa/remove',
      {
        schema: {
          ...form,
          summary: 'Remove one of the user\u2019s second factors (the account page)',
          description:
            'Needs a recent sign-in. The last one takes the recovery codes with it (two-step sign-in is off).',
          body: RemoveForm,
          response: {
            ...pageAnswers(
              { ...expired, ...notRecent, 404: 'The card again: no such factor of this user.' },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await pages.begin(request, reply, {
          form: request.body,
          change: 'remove a sign-in method',
        });
        if (!step) return reply;
        try {
          await mfa.removeFactor(step.t, step.actor, request.body.factor_id);
        } catch (error) {
          return pages.refused(reply, step, error);
        }
        const on = await mfa.hasConfirmedFactor(step.t, step.actor.user.id);
        return pages.done(reply, step, on ? 'factor_removed' : 'mfa_off');
      },
    );

    await app.register(codePageRoutes(mfa, codes, pages));
  };
}
