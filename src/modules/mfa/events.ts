import { defineAuditEvents } from '../../audit/events.js';

/** Every MFA change and use; never with a code, a secret or what the user typed. */
export const mfaEvents = defineAuditEvents({
  totpEnrollmentStarted: 'mfa.totp_enrollment_started',
  totpEnrolled: 'mfa.totp_enrolled',
  totpDisabled: 'mfa.totp_disabled',
  totpReplayRefused: 'mfa.totp_replay_refused',
  recoveryCodesGenerated: 'mfa.recovery_codes_generated',
  recoveryCodeUsed: 'mfa.recovery_code_used',
  recoveryCodesRemoved: 'mfa.recovery_codes_removed',
  preferredFactorSet: 'mfa.preferred_factor_set',
  factorRemoved: 'mfa.factor_removed',
  deviceRemembered: 'mfa.device_remembered',
  reset: 'mfa.reset',
  policyChanged: 'mfa.policy_changed',
});
