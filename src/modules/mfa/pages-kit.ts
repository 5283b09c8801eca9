// What the MFA module's account-page routes share (pages.ts, codes/pages.ts): a form's start (CSRF, the
// browser's session, the recent sign-in every change needs), the pages of the steps, a refusal shown in a
// card with its status, and the recovery codes that come with a first factor.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import type { SessionWithUser } from '../../db/repositories/sessions.js';
import { HelloJohnError } from '../../errors.js';
import { ACCOUNT_SIGN_IN, accountFormSession } from '../../http/account-forms.js';
import { basePath, currentSession, pageContext, sendHtml } from '../../http/authorization-flow.js';
import { metaOf, tenantOf } from '../../http/context.js';
import { FORM, SECURITY, redirect, tenantPath } from '../../http/schemas/common.js';
import type { Html, PageContext } from '../../http/views/layout.js';
import type { AccountSectionArgs, PageKit } from '../../kernel/module.js';
import type { Tenant } from '../../tenants/tenants.js';
import { MFA_NOTICES, sectionView, type MfaNotice } from './account-section.js';
import { SECTION_ID, SECTION_TITLE, mfaSection, mfaStepPage, recoveryCodesCard } from './account-views.js';
import type { AccountActor, Mfa } from './service.js';

/** A form (or page) of the MFA card, once its checks passed: who asks, in which tenant, on which page. */
export interface Step {
  t: Tenant;
  session: SessionWithUser;
  actor: AccountActor;
  ctx: PageContext;
}

/**
 * The refusals a step shows in its own card, the form again (a wrong code, a number refused, too many
 * sends, the SMS provider down); any other shows in the MFA card with the user's methods.
 */
const STEP_ERRORS: ReadonlySet<string> = new Set([
  'invalid_credentials',
  'invalid_request',
  'rate_limited',
  'service_unavailable',
]);

export class MfaPages {
  constructor(
    readonly kit: PageKit,
    private readonly mfa: Mfa,
    private readonly recentSignIn: RecentSignIn,
  ) {}

  /** The parts of the route schemas every route of the card shares. */
  static schemas(prefix: string) {
    const page = { tags: ['pages'], security: SECURITY.sessionCookie, params: tenantPath(prefix, {}) };
    return {
      page,
      form: { ...page, consumes: FORM },
      done: redirect(
        'Done: back to the account page with a confirmation (signed out: to sign in, which returns to the account page).',
      ),
      toSignIn: redirect('Not signed in: to the sign-in page, which returns to the account page.'),
      expired: { 403: 'The form expired (its CSRF token is not valid).' },
      notRecent: {
        401: 'The card again with "Confirm it\u2019s you": the sign-in is not recent (SESSION_RECENT_LOGIN).',
      },
      wrongCode: {
        401: 'The form again: the code is not correct; or the card with "Confirm it\u2019s you" (the sign-in is not recent).',
        429: 'The form again: too many codes sent or tried; see Retry-After.',
      },
    };
  }

  /**
   * A route's start: the form's CSRF token (`form`; a GET has none), the browser's session, and for a
   * change (`change` completes "sign in again to …") a recent sign-in, else the card with "Confirm it's
   * you" (401). Null when the answer is already sent.
   */
  async begin(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { form?: { csrf_token?: string }; change?: string },
  ): Promise<Step | null> {
    const t = await tenantOf(request, this.kit.tenants);
    const session = options.form
      ? await accountFormSession(this.kit, request, reply, t, options.form)
      : await currentSession(this.kit, request, t);
    if (!session) {
      if (!options.form) await reply.redirect(`${basePath(t)}${ACCOUNT_SIGN_IN}`, 303);
      return null;
    }
    const step: Step = {
      t,
      session,
      actor: await this.mfa.accountActor(t, session, metaOf(request)),
      ctx: pageContext(this.kit, request, reply, t),
    };
    if (options.change !== undefined)
      try {
        this.recentSignIn.require(session, options.change);
      } catch (error) {
        await this.refused(reply, step, error);
        return null;
      }
    return step;
  }

  /** A step's page (the card alone, under "Your account"). */
  page(reply: FastifyReply, step: Step, status: number, title: string, body: Html) {
    return sendHtml(reply, status, mfaStepPage(step.ctx, title, body));
  }

  /**
   * A refusal the user can act on, with the error's status: in the step's own card (`retry`, for the
   * errors a step shows), else in the MFA card with the user's methods ("Confirm it's you" included).
   */
  async refused(
    reply: FastifyReply,
    step: Step,
    error: unknown,
    retry?: (message: string) => [title: string, body: Html],
  ) {
    if (!(error instanceof HelloJohnError)) throw error;
    if (retry && STEP_ERRORS.has(error.code)) {
      reply.headers(error.headers);
      const [title, body] = retry(error.description);
      return this.page(reply, step, error.status, title, body);
    }
    if (error.code === 'service_unavailable') throw error;
    reply.headers(error.headers);
    const view = await sectionView(this.mfa, step.t, step.session.user_id, new Date(), error.description);
    return this.page(reply, step, error.status, SECTION_TITLE, mfaSection(this.sectionArgs(step), view));
  }

  /** Done: back to the account page, which shows the confirmation (a reload posts nothing). */
  done(reply: FastifyReply, step: Step, notice: MfaNotice) {
    return reply.redirect(`${step.ctx.basePath}/account?notice=${notice}#${SECTION_ID}`, 303);
  }

  /**
   * A factor was just confirmed: when it came without recovery codes (the user's first), the new codes,
   * shown on this answer only; else back to the account page with `notice`.
   */
  async confirmed(reply: FastifyReply, step: Step, notice: MfaNotice) {
    const codes = await this.mfa.recoveryCodesWithFirstFactor(step.t, step.actor);
    if (!codes) return this.done(reply, step, notice);
    return this.recoveryCodes(reply, step, codes, MFA_NOTICES[notice]);
  }

  /** New recovery codes, on this answer only (nothing keeps them; the page is not cached). */
  recoveryCodes(reply: FastifyReply, step: Step, codes: readonly string[], confirmation?: string) {
    const body = recoveryCodesCard(step.ctx, {
      codes,
      email: step.session.email,
      confirmation,
      doneHref: `${step.ctx.basePath}/account#${SECTION_ID}`,
    });
    return this.page(reply, step, 200, 'Save your recovery codes', body);
  }

  private sectionArgs(step: Step): AccountSectionArgs {
    const { t, session, ctx } = step;
    return {
      tenant: t,
      user: {
        id: session.user_id,
        email: session.email,
        emailVerified: session.email_verified,
        name: session.name,
      },
      hasPassword: session.has_password,
      session: { id: session.id, amr: session.amr, authTime: session.auth_time },
      page: ctx,
      recentSignIn: this.recentSignIn.isRecentSignIn(session),
      reauthenticateHref: `${ctx.basePath}${ACCOUNT_SIGN_IN}`,
    };
  }
}
