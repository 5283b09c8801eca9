// The user's own MFA settings (set up, confirm and remove factors, recovery codes, the preferred factor)
// and the admin's (reset a user's MFA, the tenant's policy). Every change is audited; codes and secrets
// never are.
import type { RecentSignIn } from '../../auth/recent-sign-in.js';
import { saveTenantSetting } from '../../db/repositories/tenants.js';
import { Value } from '@sinclair/typebox/value';
import { accountKeys } from '../../auth/email-address.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { findUserByEmail, findUserById, type UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { Enrollment } from '../../kernel/authentication.js';
import type { Tenant, Tenants } from '../../tenants/tenants.js';
import { mfaEvents } from './events.js';
import type { FactorRecord, ManagedFactor } from './factors.js';
import type { MfaSecondStepPolicy } from './policy.js';
import type { RecoveryCodes } from './recovery-codes.js';
import { findUserMfaSettings, resetUserMfaSettings, setPreferredFactor } from './repository.js';
import { MfaPolicySettings, mfaPolicyJson, mfaPolicyOf } from './settings.js';
import type { TotpFactor } from './totp.js';

/** Who asks: the signed-in user's session (auth_time: when they last signed in), for the recent-sign-in rule. */
export interface AccountActor {
  user: UserRow;
  session: { auth_time: Date };
  meta: RequestMeta;
}

/** An operator: the CLI, or an admin through the admin API. */
export interface AdminActor {
  via: 'cli' | 'admin_api';
  adminId?: string | null;
  meta?: RequestMeta;
}

export interface MfaDeps {
  db: Database;
  tenants: Tenants;
  /** A sensitive change needs a recent sign-in (the core's one rule). */
  recentSignIn: RecentSignIn;
  totp: TotpFactor;
  recoveryCodes: RecoveryCodes;
  /** Every factor kind the module manages (TOTP, recovery codes, email, SMS…). */
  managed: () => readonly ManagedFactor[];
  policy: MfaSecondStepPolicy;
}

export interface FactorList {
  factors: FactorRecord[];
  preferred: string | null;
}

export class Mfa {
  constructor(private readonly deps: MfaDeps) {}

  /** The signed-in user behind an account request (a live session of this tenant). */
  async accountActor(
    tenant: Tenant,
    session: { user_id: string; auth_time: Date },
    meta: RequestMeta,
  ): Promise<AccountActor> {
    const user = await findUserById(this.deps.db, tenant.id, session.user_id);
    if (!user || user.blocked) throw new HelloJohnError('invalid_token', 'The session has ended.');
    return { user, session, meta };
  }

  async factors(tenant: Tenant, userId: string, db: Queryable = this.deps.db): Promise<FactorList> {
    // One after the other: `db` may be a transaction's client, which runs one query at a time.
    const factors: FactorRecord[] = [];
    for (const kind of this.deps.managed()) factors.push(...(await kind.list(db, tenant, userId)));
    const stored = (await findUserMfaSettings(db, tenant.id, userId))?.preferred_factor ?? null;
    const primary = factors.filter((f) => !this.isFallback(f.type));
    const preferred = primary.find((f) => f.type === stored)?.type ?? primary[0]?.type ?? null;
    return { factors, preferred };
  }

  /** Whether the user has a confirmed factor that is not a fallback. */
  async hasConfirmedFactor(tenant: Tenant, userId: string, db: Queryable = this.deps.db): Promise<boolean> {
    const { factors } = await this.factors(tenant, userId, db);
    return factors.some((f) => !this.isFallback(f.type));
  }

  /** New recovery codes for a user who has no factor yet (their first comes with them); else none. */
  async firstFactorRecoveryCodes(tenant: Tenant, userId: string): Promise<string[] | undefined> {
    if (await this.hasConfirmedFactor(tenant, userId)) return undefined;
    const codes = await this.deps.recoveryCodes.generate(this.deps.db, tenant, userId);
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: mfaEvents.recoveryCodesGenerated,
      userId,
      data: { count: codes.length, with: 'first_factor' },
    });
    return codes;
  }

  /**
   * Recovery codes for a user who has just confirmed a factor on the account page, which sets factors up
   * without them: new codes when the user has a factor and no recovery codes yet, shown this once.
   */
  async recoveryCodesWithFirstFactor(tenant: Tenant, actor: AccountActor): Promise<string[] | undefined> {
    const { user, meta } = actor;
    return this.deps.db.transaction(async (tx) => {
      if (!(await this.hasConfirmedFactor(tenant, user.id, tx))) return undefined;
      if ((await this.deps.recoveryCodes.list(tx, tenant, user.id)).length > 0) return undefined;
      const codes = await this.deps.recoveryCodes.generate(tx, tenant, user.id);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: mfaEvents.recoveryCodesGenerated,
        userId: user.id,
        ...auditMeta(meta),
        data: { count: codes.length, with: 'first_factor' },
      });
      return codes;
    });
  }

  /** The factors the tenant lets its users set up (fallbacks aside), in the module's order. */
  setUpAllowed(tenant: Tenant): string[] {
    return this.deps.policy
      .allowedFactors(tenant)
      .filter((f) => !f.fallback)
      .map((f) => f.id);
  }

  /**
   * Starts setting up an authenticator app (the tenant must allow it). `recoveryCodes: false`: without
   * the first factor's recovery codes (see recoveryCodesWithFirstFactor).
   */
  async enrollTotp(
    tenant: Tenant,
    user: UserRow,
    meta: RequestMeta,
    options: { recoveryCodes?: boolean } = {},
  ): Promise<Enrollment> {
    this.requireAllowed(tenant, this.deps.totp.id);
    return this.deps.totp.beginEnrollment(tenant, user, meta, options);
  }

  /** Confirms the pending authenticator app with its first code. */
  async confirmTotp(tenant: Tenant, actor: AccountActor, code: string): Promise<void> {
    this.requireAllowed(tenant, this.deps.totp.id);
    const ok = await this.deps.totp.confirm(tenant, actor.user, code, actor.meta);
    if (!ok) throw new HelloJohnError('invalid_credentials', 'The code is not correct.');
  }

  async disableTotp(tenant: Tenant, actor: AccountActor): Promise<void> {
    const totp = (await this.deps.totp.list(this.deps.db, tenant, actor.user.id))[0];
    if (!totp) throw new HelloJohnError('not_found', 'No authenticator app is set up.');
    await this.removeFactor(tenant, actor, totp.id);
  }

  /**
   * Removes one factor. The last one (recovery codes aside) needs a recent sign-in, and takes the
   * recovery codes with it: alone they are no second factor.
   */
  async removeFactor(tenant: Tenant, actor: AccountActor, id: string): Promise<void> {
    const { user, meta } = actor;
    const { factors } = await this.factors(tenant, user.id);
    const factor = factors.find((f) => f.id === id);
    if (!factor) throw new HelloJohnError('not_found', 'No such factor.');
    const primary = factors.filter((f) => !this.isFallback(f.type));
    const last = !this.isFallback(factor.type) && primary.length === 1;
    if (last) this.deps.recentSignIn.require(actor.session, 'remove your last second factor');
    const kind = this.deps.managed().find((m) => m.factor.id === factor.type)!;
    await this.deps.db.transaction(async (tx) => {
      if (!(await kind.remove(tx, tenant, user.id, id)))
        throw new HelloJohnError('not_found', 'No such factor.');
      if (last) await this.deps.recoveryCodes.removeAll(tx, tenant, user.id);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: factor.type === this.deps.totp.id ? mfaEvents.totpDisabled : mfaEvents.factorRemoved,
        userId: user.id,
        ...auditMeta(meta),
        data: { factor: factor.type, last },
      });
    });
  }

  /** Replaces every recovery code; the new ones are returned this once. */
  async regenerateRecoveryCodes(tenant: Tenant, actor: AccountActor): Promise<string[]> {
    const { user, meta } = actor;
    return this.deps.db.transaction(async (tx) => {
      if (!(await this.hasConfirmedFactor(tenant, user.id, tx)))
        throw new HelloJohnError('conflict', 'Set up a second factor first; recovery codes come with it.');
      const codes = await this.deps.recoveryCodes.generate(tx, tenant, user.id);
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: mfaEvents.recoveryCodesGenerated,
        userId: user.id,
        ...auditMeta(meta),
        data: { count: codes.length, with: 'regenerate' },
      });
      return codes;
    });
  }

  async setPreferred(tenant: Tenant, actor: AccountActor, factor: string): Promise<void> {
    const { factors } = await this.factors(tenant, actor.user.id);
    if (this.isFallback(factor) || !factors.some((f) => f.type === factor))
      throw new HelloJohnError('invalid_request', `"${factor}" is not one of your factors.`);
    await setPreferredFactor(this.deps.db, tenant.id, actor.user.id, factor);
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: mfaEvents.preferredFactorSet,
      userId: actor.user.id,
      ...auditMeta(actor.meta),
      data: { factor },
    });
  }

  /** The user an operator names, by id (a UUID) or email address; null when the tenant has none such. */
  async userNamed(tenant: Tenant, who: { id: string } | { email: string }): Promise<UserRow | null> {
    return 'id' in who
      ? findUserById(this.deps.db, tenant.id, who.id)
      : findUserByEmail(this.deps.db, tenant.id, accountKeys(who.email));
  }

  /** An operator removes every factor of the user and voids the user's trusted devices. */
  async reset(tenant: Tenant, userId: string, actor: AdminActor): Promise<{ removed: string[] }> {
    const user = await findUserById(this.deps.db, tenant.id, userId);
    if (!user) throw new HelloJohnError('not_found', 'No such user in this tenant.');
    return this.deps.db.transaction(async (tx) => {
      const { factors } = await this.factors(tenant, user.id, tx);
      for (const kind of this.deps.managed()) await kind.removeAll(tx, tenant, user.id);
      await resetUserMfaSettings(tx, tenant.id, user.id);
      const removed = [...new Set(factors.map((f) => f.type))];
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: mfaEvents.reset,
        userId: user.id,
        ...(actor.meta ? auditMeta(actor.meta) : {}),
        data: { via: actor.via, admin_id: actor.adminId ?? null, removed },
      });
      return { removed };
    });
  }

  /** The tenant's policy with its defaults. */
  policyOf(tenant: Tenant): Required<MfaPolicySettings> {
    return mfaPolicyJson(mfaPolicyOf(tenant.settings), this.registeredIds());
  }

  /** Validates and stores the tenant's policy (untrusted input), then drops every instance's tenant cache. */
  async setPolicy(tenant: Tenant, input: unknown, actor: AdminActor): Promise<Required<MfaPolicySettings>> {
    if (!Value.Check(MfaPolicySettings, input)) {
      const first = Value.Errors(MfaPolicySettings, input).First();
      throw new HelloJohnError(
        'invalid_request',
        `Invalid MFA policy${first ? ` at ${first.path || '/'}: ${first.message}` : ''}.`,
      );
    }
    const registered = this.registeredIds();
    const unknown = (input.factors ?? []).filter((id) => !registered.includes(id));
    if (unknown.length > 0)
      throw new HelloJohnError(
        'invalid_request',
        `Unknown factor(s): ${unknown.join(', ')}; this server offers ${registered.join(', ')}.`,
      );
    const next = mfaPolicyOf({ mfa: input });
    if (next.mode === 'required') {
      const probe = { ...tenant, settings: { mfa: input } };
      if (
        !this.deps.policy
          .allowedFactors(probe, next)
          .some((f) => !f.fallback && f.beginEnrollment !== undefined)
      )
        throw new HelloJohnError(
          'invalid_request',
          'mode "required" needs a factor users can set up while signing in (e.g. totp) among the allowed factors.',
        );
    }
    await this.deps.db.transaction(async (tx) => {
      if (!(await saveTenantSetting(tx, tenant.id, 'mfa', input)))
        throw new HelloJohnError('not_found', 'Unknown tenant.');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: mfaEvents.policyChanged,
        ...(actor.meta ? auditMeta(actor.meta) : {}),
        data: { via: actor.via, admin_id: actor.adminId ?? null, policy: input },
      });
    });
    await this.deps.tenants.changed(tenant.id);
    return mfaPolicyJson(next, registered);
  }

  /** Refuses (403) a factor the tenant does not offer. */
  requireAllowed(tenant: Tenant, factor: string): void {
    if (!this.deps.policy.allowedFactors(tenant).some((f) => f.id === factor))
      throw new HelloJohnError('access_denied', `This tenant does not offer "${factor}".`);
  }

  private isFallback(type: string): boolean {
    return this.deps.managed().find((m) => m.factor.id === type)?.factor.fallback === true;
  }

  private registeredIds(): string[] {
    return this.deps.policy.allowedFactors({ settings: {} }).map((f) => f.id);
  }
}
