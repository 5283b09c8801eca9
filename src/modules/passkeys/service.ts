// Passkeys (WebAuthn) with @simplewebauthn/server: register one for a signed-in user, sign in with one
// without typing an email (usernameless: any discoverable credential of the tenant), use one as a second
// factor, and list, rename and delete them.
// - The relying party is the tenant's issuer: RP ID its host, the only accepted origin its origin. Never
//   the request's Host or Origin.
// - A challenge is stored as its SHA-256 and taken (deleted) by the one finish that presents it: found
//   by the challenge the browser signed in clientDataJSON, of this tenant, for this purpose and (a
//   registration) this user. A second finish with the same challenge finds nothing.
// - The signature counter must move forward (authenticators that keep none send 0 each time). A genuine
//   signature whose counter does not is refused and audited as a suspected clone.
import { saveTenantSetting } from '../../db/repositories/tenants.js';
import { createHash } from 'node:crypto';
import type * as WebAuthnLibrary from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import { auditEvents } from '../../audit/events.js';
import type { Identities } from '../../auth/identities.js';
import { auditMeta, type RequestMeta } from '../../auth/public.js';
import type { Database, Queryable } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { findUserById, type UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { UserIdentity } from '../../kernel/authentication.js';
import type { RequestLimits } from '../../security/request-limits.js';
import type { Tenant, Tenants } from '../../tenants/tenants.js';
import { Value } from '@sinclair/typebox/value';
import { passkeyEvents } from './events.js';
import {
  deletePasskey,
  findPasskeyByCredential,
  insertChallenge,
  insertPasskey,
  listPasskeys,
  recordUse,
  renamePasskey,
  takeChallenge,
  type ChallengePurpose,
  type PasskeyRow,
} from './repository.js';
import { PasskeySettings, passkeySettingsOf } from './settings.js';

/** The Authenticator method name (login_methods, the session's audit event, identities). */
export const PASSKEY_METHOD = 'passkey';
/** How long a ceremony may take, and how long its challenge lives. */
const CEREMONY_MS = 5 * 60_000;
export const MAX_NAME = 100;

// @simplewebauthn/server and its X.509/ASN.1 stack (some 220 modules) load at the first ceremony, not
// at start: most servers hold no passkey ceremony for hours, and every CLI command would load them too.
let webauthnLibrary: Promise<typeof WebAuthnLibrary> | undefined;
const webauthn = () => (webauthnLibrary ??= import('@simplewebauthn/server'));

export interface RelyingParty {
  /** The RP ID: the issuer's host name. */
  id: string;
  /** The one origin a ceremony may run on: the issuer's. */
  origin: string;
  name: string;
}

/** The relying party of a tenant, from its issuer alone. */
export function relyingPartyOf(tenant: Tenant): RelyingParty {
  const issuer = new URL(tenant.issuer);
  return { id: issuer.hostname, origin: issuer.origin, name: tenant.name || tenant.slug };
}

/** Who asks for a change: the user on their account (page or API) or right after signing up, or an admin. */
export type PasskeyActor =
  | { via: 'account' | 'sign_up'; meta: RequestMeta }
  | { via: 'admin_api'; adminId: string; meta: RequestMeta };

/** A passkey as the account page and the APIs show it. */
export interface PasskeyView {
  id: string;
  name: string;
  aaguid: string;
  backupEligible: boolean;
  backedUp: boolean;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** A verified assertion: whose passkey, and whether the authenticator verified the user (PIN, biometrics). */
export interface PasskeyAssertion {
  user: UserRow;
  passkey: PasskeyRow;
  userVerified: boolean;
}

export interface PasskeysDeps {
  db: Database;
  limits: RequestLimits;
  identities: Identities;
  tenants: Tenants;
}

/** Who turns the tenant's passkeys on or off, for the audit trail. */
export interface SettingsActor {
  adminId: string;
  meta: RequestMeta;
}

const notVerified = () =>
  new HelloJohnError('invalid_credentials', 'The passkey could not be verified. Try again.');
const challengeGone = () =>
  new HelloJohnError('invalid_grant', 'The passkey request expired or was already used; start again.');

export class Passkeys {
  constructor(private readonly deps: PasskeysDeps) {}

  // --- the tenant's switch ---

  /** Whether the tenant offers passkeys (settings.passkeys.enabled, on unless turned off). */
  offered(tenant: Pick<Tenant, 'settings'>): boolean {
    return passkeySettingsOf(tenant.settings).enabled;
  }

  /** access_denied (403) when the tenant has passkeys off: said as such, it reveals no account. */
  requireOffered(tenant: Tenant): void {
    if (!this.offered(tenant))
      throw new HelloJohnError('access_denied', 'Passkeys are not enabled for this tenant.');
  }

  settingsOf(tenant: Tenant): PasskeySettings {
    return passkeySettingsOf(tenant.settings);
  }

  /** Validates and stores the switch (untrusted input), audited, then drops every instance's tenant cache. */
  async setSettings(tenant: Tenant, input: unknown, actor: SettingsActor): Promise<PasskeySettings> {
    if (!Value.Check(PasskeySettings, input)) {
      const first = Value.Errors(PasskeySettings, input).First();
      throw new HelloJohnError(
        'invalid_request',
        `Invalid passkey settings${first ? ` at ${first.path || '/'}: ${first.message}` : ''}.`,
      );
    }
    const settings: PasskeySettings = { enabled: input.enabled };
    await this.deps.db.transaction(async (tx) => {
      if (!(await saveTenantSetting(tx, tenant.id, 'passkeys', settings)))
        throw new HelloJohnError('not_found', 'Unknown tenant.');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: passkeyEvents.settingsChanged,
        ...auditMeta(actor.meta),
        data: { via: 'admin_api', admin_id: actor.adminId, settings },
      });
    });
    await this.deps.tenants.changed(tenant.id);
    return settings;
  }

  // --- registration ---

  /** Options for navigator.credentials.create(): a discoverable credential, for this user. */
  async registrationOptions(tenant: Tenant, userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    this.requireOffered(tenant);
    const user = await findUserById(this.deps.db, tenant.id, userId);
    if (!user || user.blocked) throw new HelloJohnError('invalid_token', 'The session has ended.');
    const rp = relyingPartyOf(tenant);
    const existing = await listPasskeys(this.deps.db, tenant.id, user.id);
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      // The user handle an assertion returns: our user id, never the email.
      userID: new Uint8Array(Buffer.from(user.id, 'utf8')),
      timeout: CEREMONY_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: p.transports })),
      authenticatorSelection: {
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'preferred',
      },
    });
    await this.storeChallenge(tenant, options.challenge, 'register', user.id);
    return options;
  }

  /** Verifies the browser's answer to registrationOptions and saves the passkey. */
  async register(
    tenant: Tenant,
    userId: string,
    response: RegistrationResponseJSON,
    name: string | undefined,
    actor: PasskeyActor,
  ): Promise<PasskeyView> {
    this.requireOffered(tenant);
    const { db } = this.deps;
    const challenge = challengeOf(response.response.clientDataJSON);
    const taken = await takeChallenge(db, tenant.id, hashOf(challenge), 'register');
    if (!taken || taken.user_id !== userId) throw challengeGone();
    const rp = relyingPartyOf(tenant);
    let info;
    try {
      const verified = await (
        await webauthn()
      ).verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: false,
      });
      info = verified.verified ? verified.registrationInfo : undefined;
    } catch {
      info = undefined;
    }
    if (!info)
      throw new HelloJohnError('invalid_request', 'The new passkey could not be verified. Try again.');
    const { credential } = info;
    const row = await insertPasskey(db, tenant.id, {
      userId,
      credentialId: credential.id,
      publicKey: credential.publicKey,
      signCount: credential.counter,
      transports: credential.transports ?? [],
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: cleanName(name) || 'Passkey',
    });
    if (!row) throw new HelloJohnError('conflict', 'This passkey is already registered.');
    await this.audit(tenant, userId, passkeyEvents.registered, actor, {
      passkey_id: row.id,
      aaguid: row.aaguid,
      backup_eligible: row.backup_eligible,
      user_verified: info.userVerified,
    });
    return viewOf(row);
  }

  // --- sign-in and second factor ---

  /**
   * Options for navigator.credentials.get() with no allowCredentials: the browser offers every passkey it
   * holds for the RP ID (usernameless, and autofill). Each costs a point of the address's login budget.
   */
  async authenticationOptions(
    tenant: Tenant,
    meta: RequestMeta,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    this.requireOffered(tenant);
    await this.deps.limits.checkIp('login', meta.ip);
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: relyingPartyOf(tenant).id,
      allowCredentials: [],
      userVerification: 'preferred',
      timeout: CEREMONY_MS,
    });
    await this.storeChallenge(tenant, options.challenge, 'authenticate', null);
    return options;
  }

  /**
   * Verifies an assertion to authenticationOptions: the user whose passkey signed it. `expectedUser`: a
   * second step, where the passkey must be that user's. Failures all answer alike and spend the address's
   * failure budget, as wrong passwords do.
   */
  async verifyAssertion(
    tenant: Tenant,
    response: AuthenticationResponseJSON,
    meta: RequestMeta,
    expectedUser?: string,
  ): Promise<PasskeyAssertion> {
    const { db, limits } = this.deps;
    await limits.checkIp('login', meta.ip);
    const hold = await limits.holdFailure(meta.ip);
    let assertion: PasskeyAssertion;
    try {
      assertion = await this.assertion(tenant, response, meta, expectedUser);
    } catch (error) {
      // A failure the user caused keeps the failure point; anything else (the database) gives it back.
      if (!(error instanceof HelloJohnError && error.code === 'invalid_credentials'))
        await hold.giveBack().catch(() => undefined);
      throw error;
    }
    await hold.giveBack();
    await insertAuditEvent(db, {
      tenantId: tenant.id,
      type: passkeyEvents.used,
      userId: assertion.user.id,
      ...auditMeta(meta),
      data: {
        passkey_id: assertion.passkey.id,
        user_verified: assertion.userVerified,
        as: expectedUser ? 'second_factor' : 'sign_in',
      },
    });
    return assertion;
  }

  private async assertion(
    tenant: Tenant,
    response: AuthenticationResponseJSON,
    meta: RequestMeta,
    expectedUser: string | undefined,
  ): Promise<PasskeyAssertion> {
    const { db } = this.deps;
    const failed = async (reason: string, userId: string | null = null) => {
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginFailed,
        userId,
        ...auditMeta(meta),
        data: { method: PASSKEY_METHOD, reason },
      });
      return notVerified();
    };
    const challenge = challengeOf(response.response.clientDataJSON);
    if (!(await takeChallenge(db, tenant.id, hashOf(challenge), 'authenticate')))
      throw await failed('challenge');
    // Looked up in this tenant only: another tenant's passkey (the same RP ID on a shared host) is unknown here.
    const passkey = await findPasskeyByCredential(db, tenant.id, response.id);
    if (!passkey) throw await failed('unknown_credential');
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== Buffer.from(passkey.user_id, 'utf8').toString('base64url'))
      throw await failed('user_handle', passkey.user_id);
    if (expectedUser !== undefined && passkey.user_id !== expectedUser)
      throw await failed('other_user', expectedUser);

    const rp = relyingPartyOf(tenant);
    const { verifyAuthenticationResponse } = await webauthn();
    const verify = (counter: number) =>
      verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: passkey.credential_id,
          publicKey: new Uint8Array(passkey.public_key),
          counter,
          transports: passkey.transports,
        },
        requireUserVerification: false,
      });
    const stored = Number(passkey.sign_count);
    let verified: VerifiedAuthenticationResponse;
    try {
      verified = await verify(stored);
    } catch {
      // Refused: if it was only the counter (the same assertion verifies without it), the signature is
      // genuine but the key signed from behind the counter: a copy of it is in use.
      if (stored > 0 && (await verify(0).catch(() => null))?.verified)
        throw await this.cloneSuspected(tenant, passkey, meta);
      throw await failed('verification', passkey.user_id);
    }
    if (!verified.verified) throw await failed('verification', passkey.user_id);
    const info = verified.authenticationInfo;
    if (
      !(await recordUse(db, tenant.id, passkey.id, {
        signCount: info.newCounter,
        backedUp: info.credentialBackedUp,
      }))
    )
      throw await this.cloneSuspected(tenant, passkey, meta);

    const user = await findUserById(db, tenant.id, passkey.user_id);
    if (!user) throw await failed('unknown_credential');
    if (user.blocked) {
      await insertAuditEvent(db, {
        tenantId: tenant.id,
        type: auditEvents.loginBlocked,
        userId: user.id,
        ...auditMeta(meta),
      });
      throw new HelloJohnError('access_denied', 'This account is blocked.');
    }
    return { user, passkey, userVerified: info.userVerified };
  }

  private async cloneSuspected(
    tenant: Tenant,
    passkey: PasskeyRow,
    meta: RequestMeta,
  ): Promise<HelloJohnError> {
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: passkeyEvents.cloneSuspected,
      userId: passkey.user_id,
      ...auditMeta(meta),
      data: { passkey_id: passkey.id, sign_count: Number(passkey.sign_count) },
    });
    return notVerified();
  }

  // --- the user's passkeys ---

  async list(tenant: Tenant, userId: string, db: Queryable = this.deps.db): Promise<PasskeyView[]> {
    return (await listPasskeys(db, tenant.id, userId)).map(viewOf);
  }

  /** The user's passkeys as ways to sign in (Identities). */
  async identities(db: Queryable, tenant: Tenant, userId: string): Promise<UserIdentity[]> {
    return (await this.list(tenant, userId, db)).map((p) => ({
      method: PASSKEY_METHOD,
      id: p.id,
      label: p.name,
      createdAt: p.createdAt,
      lastUsedAt: p.lastUsedAt,
    }));
  }

  async rename(
    tenant: Tenant,
    userId: string,
    id: string,
    name: string,
    actor: PasskeyActor,
  ): Promise<PasskeyView> {
    const clean = cleanName(name);
    if (!clean) throw new HelloJohnError('invalid_request', 'Give the passkey a name.');
    const row = await renamePasskey(this.deps.db, tenant.id, userId, id, clean);
    if (!row) throw new HelloJohnError('not_found', 'No such passkey.');
    await this.audit(tenant, userId, passkeyEvents.renamed, actor, { passkey_id: id });
    return viewOf(row);
  }

  /** Deletes one passkey, unless it is the user's last way to sign in (409 conflict). */
  async remove(tenant: Tenant, userId: string, id: string, actor: PasskeyActor): Promise<void> {
    const removed = await this.deps.identities.remove(
      tenant,
      userId,
      { method: PASSKEY_METHOD, id },
      async (tx) => {
        if (!(await deletePasskey(tx, tenant.id, userId, id))) return false;
        await this.audit(tenant, userId, passkeyEvents.deleted, actor, { passkey_id: id }, tx);
        return true;
      },
    );
    if (!removed) throw new HelloJohnError('not_found', 'No such passkey.');
  }

  private async storeChallenge(
    tenant: Tenant,
    challenge: string,
    purpose: ChallengePurpose,
    userId: string | null,
  ): Promise<void> {
    await insertChallenge(this.deps.db, tenant.id, {
      hash: hashOf(challenge),
      purpose,
      userId,
      ttlMs: CEREMONY_MS,
    });
  }

  private audit(
    tenant: Tenant,
    userId: string,
    type: (typeof passkeyEvents)[keyof typeof passkeyEvents],
    actor: PasskeyActor,
    data: Record<string, unknown>,
    db: Queryable = this.deps.db,
  ): Promise<void> {
    return insertAuditEvent(db, {
      tenantId: tenant.id,
      type,
      userId,
      ...auditMeta(actor.meta),
      data: { ...data, via: actor.via, ...(actor.via === 'admin_api' ? { admin_id: actor.adminId } : {}) },
    });
  }
}

/** The challenge the browser signed (clientDataJSON is checked against it again by the verification). */
function challengeOf(clientDataJSON: string): string {
  let challenge: unknown;
  try {
    challenge = (
      JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown }
    ).challenge;
  } catch {
    challenge = undefined;
  }
  if (typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 512)
    throw new HelloJohnError('invalid_request', 'The passkey response is not valid.');
  return challenge;
}

function hashOf(challenge: string): Buffer {
  return createHash('sha256').update(challenge).digest();
}

/** One line, trimmed, at most MAX_NAME characters. */
function cleanName(name: string | undefined): string {
  return (
    (name ?? '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f\u2028\u2029\s]+/g, ' ')
      .trim()
      .slice(0, MAX_NAME)
  );
}

function viewOf(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    aaguid: row.aaguid,
    backupEligible: row.backup_eligible,
    backedUp: row.backed_up,
    transports: row.transports,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}
