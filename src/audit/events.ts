// The audit trail's vocabulary. Every event type is declared once, here for the core and in a feature
// module's folder for its own; writers use the declared constants, so a typo cannot reach the table.
import type { AuditEventType } from '../db/repositories/audit.js';

export type { AuditEventType } from '../db/repositories/audit.js';

/** Declares event types: `const events = defineAuditEvents({ sent: 'thing.sent' })`, then `events.sent`. */
export function defineAuditEvents<const T extends Record<string, string>>(
  types: T,
): { readonly [K in keyof T]: AuditEventType } {
  for (const type of Object.values(types)) {
    if (!/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/.test(type))
      throw new Error(`audit event type "${type}" is not dotted snake_case`);
  }
  return types as unknown as { readonly [K in keyof T]: AuditEventType };
}

export const auditEvents = defineAuditEvents({
  userRegistered: 'user.registered',
  userCreated: 'user.created',
  userLogin: 'user.login',
  userLogout: 'user.logout',
  userLogoutAll: 'user.logout_all',
  loginFailed: 'login.failed',
  loginLocked: 'login.locked',
  loginBlocked: 'login.blocked',
  loginSecondStepFailed: 'login.second_step_failed',
  sessionRevoked: 'session.revoked',
  refreshTokenReuseDetected: 'refresh_token.reuse_detected',
  oauthConsentGranted: 'oauth.consent_granted',
  oauthTokenRevoked: 'oauth.token_revoked',
  oauthCodeReplayed: 'oauth.code_replayed',
  clientCreated: 'client.created',
  clientUpdated: 'client.updated',
  clientSecretRotated: 'client.secret_rotated',
  clientDeleted: 'client.deleted',
  tenantCreated: 'tenant.created',
  tenantUpdated: 'tenant.updated',
  tenantDeleted: 'tenant.deleted',
  adminCreated: 'admin.created',
  adminTokenCreated: 'admin.token_created',
  adminTokenRevoked: 'admin.token_revoked',
  keysRotated: 'keys.rotated',
});
