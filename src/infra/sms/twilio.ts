// Twilio Programmable Messaging: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP
// Basic authentication (AccountSid:AuthToken) and a form of To, From and/or MessagingServiceSid, Body.
// Twilio answers 201 with the Message resource (its `sid`), or an error status with a JSON body
// {code, message, more_info, status}.
import type { Logger } from 'pino';
import type { TwilioSmsConfig } from '../../config.js';
import { deliver, type ProviderAnswer, type SendOutcome, type SmsSender } from './sender.js';

/** Twilio error codes that mean this recipient cannot be texted (by us), whatever we retry. */
const RECIPIENT_REFUSED = new Set([
  21211, // invalid 'To' number
  21214, // 'To' number cannot be reached
  21265, // 'To' is a short code
  21268, // premium-rate or information-service number
  21408, // the destination region is not enabled in the account's geo permissions
  21608, // trial account: the number is not a verified caller ID
  21610, // the recipient unsubscribed (replied STOP)
  21612, // no route to this number from the sender
  21614, // 'To' is not a mobile number
]);
/** Too many requests (HTTP 429 also carries it). */
const THROTTLED = 20429;

export function twilioSender(config: TwilioSmsConfig, logger: Logger): SmsSender {
  const url = `${config.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  return {
    provider: 'twilio',
    send: (to, body) =>
      deliver({
        provider: 'twilio',
        logger,
        timeoutMs: config.timeoutMs,
        to,
        body,
        request: (recipient) => {
          const form = new URLSearchParams({ To: recipient, Body: body });
          if (config.from !== undefined) form.set('From', config.from);
          if (config.messagingServiceSid !== undefined)
            form.set('MessagingServiceSid', config.messagingServiceSid);
          return { url, form, headers: { authorization } };
        },
        interpret: interpretTwilio,
      }),
  };
}

function interpretTwilio(answer: ProviderAnswer): SendOutcome {
  const json = (typeof answer.json === 'object' && answer.json !== null ? answer.json : {}) as Record<
    string,
    unknown
  >;
  if (answer.status >= 200 && answer.status < 300) {
    if (typeof json.sid === 'string' && json.sid !== '') return { accepted: true, messageId: json.sid };
    return { accepted: false, failure: 'unavailable', providerCode: 'no_sid' };
  }
  const code = typeof json.code === 'number' ? json.code : undefined;
  const providerCode = code === undefined ? undefined : String(code);
  if (answer.status === 429 || code === THROTTLED)
    return { accepted: false, failure: 'throttled', providerCode };
  if (code !== undefined && RECIPIENT_REFUSED.has(code)) {
    return { accepted: false, failure: 'recipient_refused', providerCode };
  }
  // Authentication (20003), a sender the account does not own (21606), a missing parameter, 5xx…
  return { accepted: false, failure: 'unavailable', providerCode };
}
