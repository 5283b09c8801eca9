// When a sign-in needs its second step (the tenant's settings.mfa, see docs/mfa.md):
// - off: never at sign-in; optional: users with a factor; required: everyone (without one: set one up).
// - A trusted device ("remember this device", a sealed cookie bound to the tenant, the user and the
//   browser it was issued to) lets a user with a factor skip the step until it expires, the user's
//   sessions are all ended, or an admin resets the user's MFA.
// - Adaptive rules, each switchable, are risk signals that void that skip for one sign-in: another
//   browser than the cookie's (new_device), an IP network none of the user's recent sessions came from
//   (new_ip_network), repeated failed sign-ins in the last hour (repeated_failures).
// - Step-up (a signed-in session asks for more) is never skipped by a trusted device.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { createHash } from 'node:crypto';
import { auditEvents } from '../../audit/events.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { MfaConfig } from '../../config.js';
import { SealedState } from '../../crypto/sealed-state.js';
import type { Database } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import type { UserRow } from '../../db/repositories/users.js';
import type {
  DeviceCookie,
  SecondFactor,
  SecondStepDecision,
  SecondStepPolicy,
} from '../../kernel/authentication.js';
import type { Tenant } from '../../tenants/tenants.js';
import { mfaEvents } from './events.js';
import {
  countFailedSignIns,
  findUserMfaSettings,
  recentSessionAddresses,
  type UserMfaSettingsRow,
} from './repository.js';
import { mfaPolicyOf, type MfaPolicy } from './settings.js';

const DAY_MS = 86_400_000;
/** The sessions whose networks count as known to the new_ip_network rule. */
const KNOWN_NETWORKS_MS = 30 * DAY_MS;
/** The window of the repeated_failures rule. */
const FAILURES_WINDOW_MS = 3_600_000;

/** What the trusted-device cookie holds (sealed: the browser can neither read nor forge it). */
export interface TrustedDevice {
  userId: string;
  issuedAt: number;
  expiresAt: number;
  /** SHA-256 of the User-Agent it was issued to (the new_device rule). */
  agent: string;
}

export interface MfaPolicyDeps {
  db: Database;
  config: MfaConfig;
  secretboxMasterKey: Buffer;
  /** Every second factor of the build (TOTP, email, SMS, recovery codes…), in the order they are offered. */
  factors: () => readonly SecondFactor[];
}

/** The key derivation and label the cookie is sealed under (SealedState): for this cookie only. */
export const TRUSTED_DEVICE_SEAL = { keyInfo: 'hellojohn trusted device v1', label: 'trusted-device' };

export class MfaSecondStepPolicy implements SecondStepPolicy {
  private readonly devices: SealedState<TrustedDevice>;

  constructor(private readonly deps: MfaPolicyDeps) {
    this.devices = new SealedState(deps.secretboxMasterKey, TRUSTED_DEVICE_SEAL, 1024);
  }

  /** The factors the tenant allows (and offers at all: SecondFactor.offered), in the module's order. */
  allowedFactors(
    tenant: Pick<Tenant, 'settings'>,
    policy: MfaPolicy = mfaPolicyOf(tenant.settings),
  ): SecondFactor[] {
    return this.deps
      .factors()
      .filter((f) => (!policy.factors || policy.factors.includes(f.id)) && (f.offered?.(tenant) ?? true));
  }

  async decide(
    tenant: Tenant,
    user: UserRow,
    context: { enrolled: readonly string[]; meta: RequestMeta; stepUp: boolean },
  ): Promise<SecondStepDecision> {
    const policy = mfaPolicyOf(tenant.settings);
    if (policy.mode === 'off' && !context.stepUp) return { required: false };
    const allowed = this.allowedFactors(tenant, policy);
    const usable = allowed.filter((f) => context.enrolled.includes(f.id));
    const primary = usable.filter((f) => !f.fallback);
    if (primary.length === 0) {
      // Nothing to answer with (a fallback alone is not a factor): set one up when one is demanded.
      if (policy.mode !== 'required' && !context.stepUp) return { required: false };
      const enrollable = allowed
        .filter((f) => !f.fallback && f.beginEnrollment !== undefined)
        .map((f) => f.id);
      return enrollable.length > 0
        ? { required: true, enroll: true, factors: enrollable }
        : { required: false };
    }
    const device = context.stepUp ? null : this.deviceOf(tenant, user, policy, context.meta);
    // The user's settings matter only to choose among factors and to check a trusted device.
    const settings =
      primary.length > 1 || device ? await findUserMfaSettings(this.deps.db, tenant.id, user.id) : null;
    if (device && (await this.trusted(tenant, user, policy, device, settings, context.meta)))
      return { required: false };
    const factors = [...primary, ...usable.filter((f) => f.fallback)].map((f) => f.id);
    const preferred = primary.find((f) => f.id === settings?.preferred_factor)?.id ?? primary[0]!.id;
    return { required: true, factors, preferred, rememberDays: policy.rememberDeviceDays };
  }

  async rememberDevice(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<DeviceCookie | null> {
    const days = mfaPolicyOf(tenant.settings).rememberDeviceDays;
    if (days <= 0) return null;
    const issuedAt = Date.now();
    const value = this.devices.seal(tenant.id, {
      userId: user.id,
      issuedAt,
      expiresAt: issuedAt + days * DAY_MS,
      agent: agentHash(meta),
    });
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: mfaEvents.deviceRemembered,
      userId: user.id,
      ...auditMeta(meta),
      data: { days },
    });
    return { name: deviceCookieName(tenant, user.id), value, maxAgeSeconds: (days * DAY_MS) / 1000 };
  }

  /** The user's trusted-device cookie this browser sent, while the tenant remembers devices; else null. */
  private deviceOf(
    tenant: Tenant,
    user: UserRow,
    policy: MfaPolicy,
    meta: RequestMeta,
  ): TrustedDevice | null {
    if (policy.rememberDeviceDays <= 0) return null;
    const device = this.devices.open(tenant.id, meta.cookies?.[deviceCookieName(tenant, user.id)]);
    return device?.userId === user.id ? device : null;
  }

  /** Whether the device is trusted right now (not voided, not expired), and no adaptive rule objects. */
  private async trusted(
    tenant: Tenant,
    user: UserRow,
    policy: MfaPolicy,
    device: TrustedDevice,
    settings: UserMfaSettingsRow | null,
    meta: RequestMeta,
  ): Promise<boolean> {
    // Void once every session was ended or the MFA was reset after it was issued, and when the tenant
    // has shortened how long a device is remembered since.
    const voidedAt = Math.max(
      user.sessions_revoked_at?.getTime() ?? 0,
      settings?.devices_revoked_at?.getTime() ?? 0,
    );
    if (device.issuedAt <= voidedAt) return false;
    if (device.issuedAt + policy.rememberDeviceDays * DAY_MS <= Date.now()) return false;
    return !(await this.adaptiveRuleFires(tenant, user, policy, device, meta));
  }

  private async adaptiveRuleFires(
    tenant: Tenant,
    user: UserRow,
    policy: MfaPolicy,
    device: TrustedDevice,
    meta: RequestMeta,
  ): Promise<boolean> {
    if (!this.deps.config.adaptiveEnabled) return false;
    const rules = policy.adaptive;
    if (rules.newDevice && device.agent !== agentHash(meta)) return true;
    const now = Date.now();
    if (rules.newIpNetwork) {
      const seen = await recentSessionAddresses(
        this.deps.db,
        tenant.id,
        user.id,
        new Date(now - KNOWN_NETWORKS_MS),
      );
      if (!knownNetwork(meta.ip, seen)) return true;
    }
    if (rules.repeatedFailures) {
      const failures = await countFailedSignIns(
        this.deps.db,
        tenant.id,
        user.id,
        [auditEvents.loginFailed, auditEvents.loginSecondStepFailed],
        new Date(now - FAILURES_WINDOW_MS),
      );
      if (failures >= rules.failureThreshold) return true;
    }
    return false;
  }
}

/** One cookie per user and tenant, so people sharing a browser each keep their own. */
export function deviceCookieName(tenant: Tenant, userId: string): string {
  const id = createHash('sha256').update(`${tenant.id}:${userId}`).digest('base64url').slice(0, 16);
  return `hj_device_${id}`;
}

function agentHash(meta: RequestMeta): string {
  return createHash('sha256')
    .update(meta.userAgent ?? '')
    .digest('base64url')
    .slice(0, 22);
}

/** Whether `ip` is in the /24 (IPv4) or /48 (IPv6) of one of `seen`. */
export function knownNetwork(ip: string, seen: readonly string[]): boolean {
  const networks = new BlockList();
  for (const address of seen.map(unmapped)) {
    if (isIPv4(address)) networks.addSubnet(address, 24, 'ipv4');
    else if (isIPv6(address)) networks.addSubnet(address, 48, 'ipv6');
  }
  const current = unmapped(ip);
  if (isIPv4(current)) return networks.check(current, 'ipv4');
  return isIPv6(current) && networks.check(current, 'ipv6');
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is. */
function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}
