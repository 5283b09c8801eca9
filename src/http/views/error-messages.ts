// What an error page says, for every error a hosted page can show: one table, fixed sentences only. The
// detail of a failure (which parameter, which rule) comes from the request and so may be chosen by whoever
// wrote the link; it goes to the log with the request id, never onto the page, where it would read as a
// sentence written by us. The page shows the request id so support can find that log line.
import type { ErrorCode } from '../../errors.js';

/** Where an error page points next: the sign-in page, or the start page of the issuer. */
export type NextStep = 'login' | 'home';

export interface PageErrorText {
  /** The error the page reports; its HTTP status is the code's (src/errors.ts). */
  code: ErrorCode;
  title: string;
  /** What went wrong, in the alert box. */
  message: string;
  /** What to do about it, under the alert. */
  help: string;
  /** Logged at warn (a misconfigured application, worth an operator's look) rather than info (a user's slip). */
  warn?: boolean;
  next?: NextStep;
}

const BACK_TO_APP =
  'Go back to the application and try again. If it keeps happening, contact its support and give them the request ID below.';

export const PAGE_ERRORS = {
  // The authorization endpoint, before the client and its redirect URI are proven (so no redirect back).
  invalid_request: {
    code: 'invalid_request',
    title: 'This sign-in request cannot be completed',
    message: 'The application sent a sign-in request that is incomplete or not valid.',
    help: BACK_TO_APP,
    warn: true,
  },
  unauthorized_client: {
    code: 'unauthorized_client',
    title: 'This sign-in request cannot be completed',
    message: 'This application is not allowed to sign you in this way.',
    help: BACK_TO_APP,
    warn: true,
  },
  unsupported_request: {
    code: 'invalid_request',
    title: 'This sign-in request cannot be completed',
    message: 'The application asked for something this sign-in service does not support.',
    help: BACK_TO_APP,
    warn: true,
  },
  invalid_logout_request: {
    code: 'invalid_request',
    title: 'This sign-out request cannot be completed',
    message: 'The application sent a sign-out request that is not valid.',
    help: BACK_TO_APP,
    warn: true,
    next: 'home',
  },
  // The hosted pages themselves.
  interaction_expired: {
    code: 'invalid_request',
    title: 'Sign-in request expired',
    message: 'This sign-in request has expired or was replaced by a newer one.',
    help: 'Go back to the application and start again, or sign in here.',
    next: 'login',
  },
  form_expired: {
    code: 'csrf_failed',
    title: 'This form has expired',
    message: 'This form has expired or was not sent from this site.',
    help: 'Open the page again and retry.',
    next: 'login',
  },
  signed_out: {
    code: 'invalid_request',
    title: 'You are signed out',
    message: 'You are no longer signed in.',
    help: 'Go back to the application and start again, or sign in here.',
    next: 'login',
  },
  bad_request: {
    code: 'invalid_request',
    title: 'This page cannot be shown',
    message: 'The address of this page is incomplete or not valid.',
    help: 'Check the link, or start again from the start page.',
    next: 'home',
  },
  not_found: {
    code: 'not_found',
    title: 'Page not found',
    message: 'There is no page at this address.',
    help: 'Check the link you followed.',
  },
} as const satisfies Record<string, PageErrorText>;

export type PageErrorKind = keyof typeof PAGE_ERRORS;

const UNSUPPORTED = new Set<ErrorCode>([
  'unsupported_response_type',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
]);

/** The page for an OAuth error the authorization endpoint cannot send back to the client. */
export function authorizationErrorKind(code: ErrorCode): PageErrorKind {
  if (code === 'unauthorized_client') return 'unauthorized_client';
  if (UNSUPPORTED.has(code)) return 'unsupported_request';
  return 'invalid_request';
}
