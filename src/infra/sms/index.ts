// SMS delivery for MFA codes through the provider the configuration names (Twilio or Vonage).
import type { Logger } from 'pino';
import type { SmsConfig } from '../../config.js';
import type { SmsSender } from './sender.js';
import { twilioSender } from './twilio.js';
import { vonageSender } from './vonage.js';

export { CANNOT_SEND_TEXTS, type SmsSender } from './sender.js';
export {
  CANNOT_RECEIVE_TEXTS,
  NOT_A_PHONE_NUMBER,
  isE164PhoneNumber,
  maskPhoneNumber,
  normalizePhoneNumber,
  type CountryCode,
} from './phone.js';

/** The sender for the configured provider, or null when MFA_SMS_PROVIDER is unset (no SMS factor). */
export function createSmsSender(config: SmsConfig | undefined, logger: Logger): SmsSender | null {
  if (config === undefined) return null;
  return config.provider === 'twilio' ? twilioSender(config, logger) : vonageSender(config, logger);
}
