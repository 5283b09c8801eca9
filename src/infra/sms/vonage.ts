// Vonage SMS API: POST {base}/sms/json with a form of api_key, api_secret, from, to (E.164 digits without
// the plus) and text. Vonage answers 200 even when it refuses a message: each part of the message has a
// `status`, "0" for accepted and otherwise an error with its `error-text`.
import type { Logger } from 'pino';
import type { VonageSmsConfig } from '../../config.js';
import { deliver, type ProviderAnswer, type SendOutcome, type SmsSender } from './sender.js';

/** Statuses that mean this recipient cannot be texted (by us). */
const RECIPIENT_REFUSED = new Set([
  '6', // invalid message: the number's prefix is not routable
  '7', // the number is barred
  '29', // demo account: the destination is not whitelisted
]);
/** Throttled (1), and too many simultaneous connections (10, "back off and retry"). */
const THROTTLED = new Set(['1', '10']);

export function vonageSender(config: VonageSmsConfig, logger: Logger): SmsSender {
  const url = `${config.baseUrl}/sms/json`;
  return {
    provider: 'vonage',
    send: (to, body) =>
      deliver({
        provider: 'vonage',
        logger,
        timeoutMs: config.timeoutMs,
        to,
        body,
        request: (recipient) => ({
          url,
          form: new URLSearchParams({
            api_key: config.apiKey,
            api_secret: config.apiSecret,
            from: config.from,
            to: recipient.slice(1),
            text: body,
          }),
        }),
        interpret: interpretVonage,
      }),
  };
}

function interpretVonage(answer: ProviderAnswer): SendOutcome {
  if (answer.status === 429) return { accepted: false, failure: 'throttled' };
  const messages = (answer.json as { messages?: unknown } | undefined)?.messages;
  if (answer.status !== 200 || !Array.isArray(messages) || messages.length === 0) {
    return { accepted: false, failure: 'unavailable' };
  }
  // A long text is sent in parts, each with its own status: the send failed if any part did.
  const parts = messages as Array<Record<string, unknown>>;
  const refused = parts.find((part) => part.status !== '0');
  if (refused) {
    const providerCode = typeof refused.status === 'string' ? refused.status : 'no_status';
    if (THROTTLED.has(providerCode)) return { accepted: false, failure: 'throttled', providerCode };
    if (RECIPIENT_REFUSED.has(providerCode))
      return { accepted: false, failure: 'recipient_refused', providerCode };
    // Missing or invalid parameters (2, 3), credentials (4), internal error (5), account barred (8), credit (9)…
    return { accepted: false, failure: 'unavailable', providerCode };
  }
  const messageId = parts[0]!['message-id'];
  if (typeof messageId !== 'string' || messageId === '') {
    return { accepted: false, failure: 'unavailable', providerCode: 'no_message_id' };
  }
  return { accepted: true, messageId };
}
