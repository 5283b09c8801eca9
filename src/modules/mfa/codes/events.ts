import { defineAuditEvents } from '../../../audit/events.js';

/**
 * What the email and SMS factors write to the audit trail (removal is the module's `mfa.factor_removed`).
 * Never the code; a phone number only masked; the channel (`email`, `sms`) in `data`.
 */
export const codeEvents = defineAuditEvents({
  emailEnrolled: 'mfa.email_enrolled',
  smsEnrollmentStarted: 'mfa.sms_enrollment_started',
  smsEnrolled: 'mfa.sms_enrolled',
  codeSent: 'mfa.code_sent',
  codeSendFailed: 'mfa.code_send_failed',
  codeAttemptsExhausted: 'mfa.code_attempts_exhausted',
});
