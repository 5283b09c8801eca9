// What every SMS provider adapter shares: the SmsSender contract, one form POST with a timeout, and the
// mapping of a failed send to the errors callers show. Provider adapters only build their request and
// read their provider's answer into a SendOutcome.
import type { Logger } from 'pino';
import type { SmsProvider } from '../../config.js';
import { HelloJohnError, ServiceUnavailableError } from '../../errors.js';
import { CANNOT_RECEIVE_TEXTS, normalizePhoneNumber } from './phone.js';

export interface SmsSender {
  readonly provider: SmsProvider;
  /**
   * Sends `body` to `to`, a number in E.164. Resolves once the provider has accepted the message (not
   * when it is delivered). Rejects with a HelloJohnError: `invalid_request` when the number is invalid or
   * refused by the provider, `rate_limited` when the provider throttles us, `service_unavailable` for
   * everything else (credentials, configuration, provider outage, network failure, timeout).
   */
  send(to: string, body: string): Promise<{ messageId: string }>;
}

export const CANNOT_SEND_TEXTS = 'Text messages cannot be sent right now';

/** How a provider answered a send, as callers need to know it. */
export type SendOutcome =
  | { accepted: true; messageId: string }
  | { accepted: false; failure: 'recipient_refused' | 'throttled' | 'unavailable'; providerCode?: string };

/** What came back over HTTP; `json` is undefined when the body was not JSON. */
export interface ProviderAnswer {
  status: number;
  json: unknown;
  retryAfterSeconds: number | undefined;
}

export interface FormPost {
  url: string;
  form: URLSearchParams;
  headers?: Record<string, string>;
}

/** Without a Retry-After from the provider: its throughput limits are per second, so a short wait. */
const DEFAULT_THROTTLE_SECONDS = 10;
/** A provider's Retry-After is believed up to this; longer waits are reported as this. */
const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * Sends through one provider: checks the number, posts the form within `timeoutMs`, and turns the
 * provider's answer into a message id or an error. Logs the provider's code and the HTTP status, never
 * the credentials, the number or the text.
 */
export async function deliver(options: {
  provider: SmsProvider;
  logger: Logger;
  timeoutMs: number;
  to: string;
  body: string;
  request: (recipient: string) => FormPost;
  interpret: (answer: ProviderAnswer) => SendOutcome;
}): Promise<{ messageId: string }> {
  const { provider, logger } = options;
  if (options.body === '') throw new TypeError('An SMS needs a body');
  // A number that is not E.164 (or cannot take texts) is refused here, before anything is sent or billed.
  const recipient = await normalizePhoneNumber(options.to);
  let answer: ProviderAnswer;
  try {
    answer = await postForm(options.request(recipient), options.timeoutMs);
  } catch (error) {
    const reason = unreachableReason(error);
    logger.error({ smsProvider: provider, reason }, 'SMS not sent: the provider could not be reached');
    throw new ServiceUnavailableError(CANNOT_SEND_TEXTS);
  }
  const outcome = options.interpret(answer);
  if (outcome.accepted) return { messageId: outcome.messageId };

  const fields = { smsProvider: provider, providerCode: outcome.providerCode, httpStatus: answer.status };
  switch (outcome.failure) {
    case 'recipient_refused':
      // Trial accounts and geo permissions also land here: the operator reads the code in the log.
      logger.warn(fields, 'SMS not sent: the provider refused the recipient');
      throw new HelloJohnError('invalid_request', CANNOT_RECEIVE_TEXTS);
    case 'throttled': {
      const seconds = answer.retryAfterSeconds ?? DEFAULT_THROTTLE_SECONDS;
      logger.warn(fields, 'SMS not sent: the provider is throttling this account');
      throw new HelloJohnError(
        'rate_limited',
        `${CANNOT_SEND_TEXTS}; try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
        { retryAfterSeconds: seconds },
      );
    }
    case 'unavailable':
      logger.error(fields, 'SMS not sent: the provider answered with an error');
      throw new ServiceUnavailableError(CANNOT_SEND_TEXTS);
  }
}

async function postForm(post: FormPost, timeoutMs: number): Promise<ProviderAnswer> {
  const response = await fetch(post.url, {
    method: 'POST',
    headers: {
      ...post.headers,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: post.form.toString(),
    // The credentials travel with the request: a redirect would send them somewhere configuration never named.
    redirect: 'error',
    // Covers the whole exchange, the response body included.
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    json,
    retryAfterSeconds: retryAfter(response.headers.get('retry-after')),
  };
}

/** Retry-After as whole seconds (delay-seconds or an HTTP date), bounded; undefined when absent or bad. */
function retryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = /^\d+$/.test(value.trim())
    ? Number(value.trim())
    : Math.ceil((Date.parse(value) - Date.now()) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
}

/** A short reason for the log: `timeout`, a socket error code such as ECONNREFUSED, or the error's name. */
function unreachableReason(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timeout';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.name : 'unknown';
}
