// The email and phone steps of the MFA card on the account page (../pages.ts has the others): turn email
// codes on (a code mailed, typed back), add a phone number (the number, a code texted to it, typed back).
// Only the factors the tenant offers; every step needs a recent sign-in, as every change of the card.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { pageAnswers } from '../../../http/schemas/pages.js';
import { emailSetupCard, phoneCodeCard, phoneNumberCard } from '../account-views.js';
import { MfaPages, type Step } from '../pages-kit.js';
import { CsrfForm } from '../schemas.js';
import type { Mfa } from '../service.js';
import { CodeForm, PhoneForm } from './schemas.js';
import type { CodeFactorEnrollment } from './service.js';

const EMAIL = 'Turn on email codes';
const PHONE = 'Add a phone number';

export function codePageRoutes(mfa: Mfa, codes: CodeFactorEnrollment, pages: MfaPages): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const { page, form, done, toSignIn, expired, notRecent, wrongCode } = MfaPages.schemas(app.prefix);
    const notOffered = {
      403: 'The card again: the tenant does not offer this factor (or the form expired).',
    };

    /** A step of `factor`: begun (CSRF, session, recent sign-in) and offered by the tenant; else null. */
    const begin = async (
      request: Parameters<MfaPages['begin']>[0],
      reply: FastifyReply,
      factor: 'email' | 'sms',
      csrf?: { csrf_token?: string },
    ): Promise<Step | null> => {
      const change = factor === 'email' ? 'turn on email codes' : 'add a phone number';
      const step = await pages.begin(request, reply, { form: csrf, change });
      if (!step) return null;
      try {
        // The card offers only these; a forged form is refused the same.
        mfa.requireAllowed(step.t, factor);
      } catch (error) {
        await pages.refused(reply, step, error);
        return null;
      }
      return step;
    };
    const emailCard = (step: Step, v: { sent?: boolean; error?: string }) =>
      emailSetupCard(step.ctx, { email: step.session.email, ...v });

    app.post(
      '/account/mfa/email',
      {
        schema: {
          ...form,
          summary: 'Email a code to turn on email codes (the account page)',
          description:
            'Needs a recent sign-in. Mails a code to the account\u2019s address and answers the code field. At most 5 codes an hour per user (429).',
          body: CsrfForm,
          response: {
            ...pageAnswers({ ...expired, ...notOffered, ...wrongCode }, [413, 415]),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await begin(request, reply, 'email', request.body);
        if (!step) return reply;
        try {
          await codes.sendEmailCode(step.t, step.session.user_id, step.actor.meta);
          return await pages.page(reply, step, 200, EMAIL, emailCard(step, { sent: true }));
        } catch (error) {
          return pages.refused(reply, step, error, (message) => [EMAIL, emailCard(step, { error: message })]);
        }
      },
    );

    app.post(
      '/account/mfa/email/confirm',
      {
        schema: {
          ...form,
          summary: 'Turn on email codes with the code mailed (the account page)',
          description:
            'Needs a recent sign-in. With the user\u2019s first factor the answer shows the new recovery codes, once; otherwise 303 to the account page.',
          body: CodeForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...notOffered,
                ...wrongCode,
                200: 'The recovery codes, shown this once (the user\u2019s first factor).',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await begin(request, reply, 'email', request.body);
        if (!step) return reply;
        try {
          await codes.confirmEmail(step.t, step.session.user_id, request.body.code, step.actor.meta);
        } catch (error) {
          return pages.refused(reply, step, error, (message) => [EMAIL, emailCard(step, { error: message })]);
        }
        return pages.confirmed(reply, step, 'email_added');
      },
    );

    app.get(
      '/account/mfa/phone',
      {
        schema: {
          ...page,
          summary: 'The form to add a phone number for text-message codes (the account page)',
          description: 'Needs a recent sign-in. Signed out, it redirects to the sign-in page.',
          response: { ...pageAnswers({ ...notRecent, ...notOffered }), 303: toSignIn },
        },
      },
      async (request, reply) => {
        const step = await begin(request, reply, 'sms');
        if (!step) return reply;
        return pages.page(reply, step, 200, PHONE, phoneNumberCard(step.ctx, {}));
      },
    );

    app.post(
      '/account/mfa/phone',
      {
        schema: {
          ...form,
          summary: 'Text a code to a phone number to add it (the account page)',
          description:
            'Needs a recent sign-in. Checks the number (a mobile number in E.164) before anything is sent, texts it a code and answers the code field. At most 5 texts an hour per user and per number (429); the SMS provider unreachable: 503, nothing kept.',
          body: PhoneForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...notOffered,
                ...notRecent,
                400: 'The form again: not a mobile number in E.164, or no SMS provider is configured.',
                429: 'The form again: too many texts; see Retry-After.',
                503: 'The form again: the SMS provider cannot be reached; see Retry-After.',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await begin(request, reply, 'sms', request.body);
        if (!step) return reply;
        const phoneNumber = request.body.phone_number;
        try {
          const { sentTo } = await codes.sendSmsCode(
            step.t,
            step.session.user_id,
            phoneNumber,
            step.actor.meta,
          );
          return await pages.page(reply, step, 200, PHONE, phoneCodeCard(step.ctx, { sentTo, phoneNumber }));
        } catch (error) {
          return pages.refused(reply, step, error, (message) => [
            PHONE,
            phoneNumberCard(step.ctx, { phoneNumber, error: message }),
          ]);
        }
      },
    );

    app.post(
      '/account/mfa/phone/confirm',
      {
        schema: {
          ...form,
          summary: 'Confirm a phone number with the code texted to it (the account page)',
          description:
            'Needs a recent sign-in. The number becomes the text-message factor\u2019s (replacing an earlier one). With the user\u2019s first factor the answer shows the new recovery codes, once; otherwise 303 to the account page.',
          body: CodeForm,
          response: {
            ...pageAnswers(
              {
                ...expired,
                ...notOffered,
                ...wrongCode,
                200: 'The recovery codes, shown this once (the user\u2019s first factor).',
              },
              [413, 415],
            ),
            303: done,
          },
        },
      },
      async (request, reply) => {
        const step = await begin(request, reply, 'sms', request.body);
        if (!step) return reply;
        try {
          await codes.confirmSms(step.t, step.session.user_id, request.body.code, step.actor.meta);
        } catch (error) {
          return pages.refused(reply, step, error, (message) => [
            PHONE,
            phoneCodeCard(step.ctx, { error: message }),
          ]);
        }
        return pages.confirmed(reply, step, 'phone_added');
      },
    );
  };
}
