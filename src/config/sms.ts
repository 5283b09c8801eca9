// The SMS provider that delivers MFA codes (src/infra/sms/): Twilio or Vonage, chosen by MFA_SMS_PROVIDER.
// Unset means no SMS factor. A chosen provider without its credentials and sender stops the start, so a
// misconfiguration is found at deploy time rather than when a user first asks for a code.
import { ConfigError, duration, oneOf, quote, type Reader } from './parse.js';

export const SMS_PROVIDERS = ['twilio', 'vonage'] as const;
export type SmsProvider = (typeof SMS_PROVIDERS)[number];

interface SmsCommon {
  /** Base URL of the provider's API, without a trailing slash: configuration only, never request input. */
  baseUrl: string;
  /** How long one send may take, response included (SMS_TIMEOUT). */
  timeoutMs: number;
}

/** Twilio Programmable Messaging. At least one of `from` and `messagingServiceSid` is set. */
export interface TwilioSmsConfig extends SmsCommon {
  provider: 'twilio';
  accountSid: string;
  authToken: string;
  from: string | undefined;
  messagingServiceSid: string | undefined;
}

/** Vonage SMS API. `from` is a number in E.164 digits without `+`, or an alphanumeric sender ID. */
export interface VonageSmsConfig extends SmsCommon {
  provider: 'vonage';
  apiKey: string;
  apiSecret: string;
  from: string;
}

export type SmsConfig = TwilioSmsConfig | VonageSmsConfig;

export function smsConfig(read: Reader): SmsConfig | undefined {
  if (read('MFA_SMS_PROVIDER') === undefined) return undefined;
  const provider = oneOf(read, 'MFA_SMS_PROVIDER', SMS_PROVIDERS, 'twilio');
  const timeoutMs = duration(read, 'SMS_TIMEOUT', '10s', 100);
  if (provider === 'twilio') {
    const accountSid = required(read, 'TWILIO_ACCOUNT_SID', provider, /^AC[0-9a-f]{32}$/i, 'AC…');
    const authToken = required(read, 'TWILIO_AUTH_TOKEN', provider);
    const from = optionalSender(read, 'TWILIO_FROM');
    const messagingServiceSid = optionalMatching(
      read,
      'TWILIO_MESSAGING_SERVICE_SID',
      /^MG[0-9a-f]{32}$/i,
      'MG…',
    );
    if (from === undefined && messagingServiceSid === undefined) {
      throw new ConfigError(
        'TWILIO_FROM',
        'or TWILIO_MESSAGING_SERVICE_SID is required when MFA_SMS_PROVIDER is twilio',
      );
    }
    return {
      provider,
      accountSid,
      authToken,
      from,
      messagingServiceSid,
      baseUrl: apiBaseUrl(read, 'TWILIO_BASE_URL', 'https://api.twilio.com'),
      timeoutMs,
    };
  }
  const apiKey = required(read, 'VONAGE_API_KEY', provider);
  const apiSecret = required(read, 'VONAGE_API_SECRET', provider);
  const from = optionalSender(read, 'VONAGE_FROM');
  if (from === undefined) throw missing('VONAGE_FROM', provider);
  return {
    provider,
    apiKey,
    apiSecret,
    // Vonage writes numbers as E.164 digits without the plus.
    from: from.replace(/^\+/, ''),
    baseUrl: apiBaseUrl(read, 'VONAGE_BASE_URL', 'https://rest.nexmo.com'),
    timeoutMs,
  };
}

const missing = (name: string, provider: SmsProvider) =>
  new ConfigError(name, `is required when MFA_SMS_PROVIDER is ${provider}`);

/** A credential the chosen provider needs; `shape` checks identifiers (never echoing a secret's value). */
function required(
  read: Reader,
  name: string,
  provider: SmsProvider,
  shape?: RegExp,
  example?: string,
): string {
  const value = read(name);
  if (value === undefined) throw missing(name, provider);
  if (shape && !shape.test(value))
    throw new ConfigError(name, `must look like ${example} (got ${quote(value)})`);
  return value;
}

function optionalMatching(read: Reader, name: string, shape: RegExp, example: string): string | undefined {
  const value = read(name);
  if (value !== undefined && !shape.test(value)) {
    throw new ConfigError(name, `must look like ${example} (got ${quote(value)})`);
  }
  return value;
}

/**
 * The sender both providers accept: a number in E.164 (`+14155550123`; Vonage also takes it without the
 * plus), a short code (3 to 8 digits), or an alphanumeric sender ID (up to 11 letters, digits and spaces,
 * at least one letter).
 */
function optionalSender(read: Reader, name: string): string | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const number = /^\+?[1-9]\d{2,14}$/.test(value);
  const alphanumeric = /^[A-Za-z0-9 ]{1,11}$/.test(value) && /[A-Za-z]/.test(value);
  if (!number && !alphanumeric) {
    throw new ConfigError(
      name,
      `must be a phone number in E.164 format (+14155550123), a short code or an alphanumeric sender ID of up to 11 characters (got ${quote(value)})`,
    );
  }
  return value;
}

/** An http(s) base URL without credentials, query or fragment; a trailing slash is dropped. */
function apiBaseUrl(read: Reader, name: string, fallback: string): string {
  const value = read(name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL (got ${quote(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, 'must be an http:// or https:// URL');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(name, 'must not contain credentials, a query or a fragment');
  }
  return url.href.replace(/\/+$/, '');
}
