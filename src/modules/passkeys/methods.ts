// A passkey as a way to sign in (first factor, usernameless) and as a second factor.
//
// The amr of a passkey sign-in (RFC 8176): `hwk` for a device-bound key, `swk` for a synced one (backup
// eligible: the private key leaves the device for the platform's keychain), `user` (the authenticator
// tested the user's presence), and, when the authenticator also verified the user (PIN, biometrics),
// `mfa`: something you have and something you know or are. A passkey sign-in with user verification
// therefore satisfies the tenant's MFA policy on its own (as Auth0 and Clerk treat passkeys): no second
// step is asked, and the ID token's acr is the multi-factor one. Without user verification it is one
// factor, and the MFA policy applies as after a password.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { RequestMeta } from '../../auth/public.js';
import type { UserRow } from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type {
  Authenticator,
  EnrolledSql,
  FactorPassed,
  SecondFactor,
  SignInProof,
} from '../../kernel/authentication.js';
import type { Tenant } from '../../tenants/tenants.js';
import { hasPasskey, passkeyFactorEnrolledSql } from './repository.js';
import { AuthenticationResponse, RegistrationResponse } from './schemas.js';
import { PASSKEY_SCRIPTS } from './scripts.js';
import { PASSKEY_METHOD, type PasskeyAssertion, type Passkeys } from './service.js';
import type { Database } from '../../db/database.js';

export interface PasskeyCredentials {
  response: AuthenticationResponseJSON;
}

/** The amr values an assertion earns. */
export function amrOf(assertion: Pick<PasskeyAssertion, 'passkey' | 'userVerified'>): string[] {
  const key = assertion.passkey.backup_eligible ? 'swk' : 'hwk';
  return assertion.userVerified ? [key, 'user', 'mfa'] : [key, 'user'];
}

export class PasskeyAuthenticator implements Authenticator<PasskeyCredentials> {
  readonly method = PASSKEY_METHOD;
  /** Without user verification; with it, the proof adds `mfa` (and a synced passkey says `swk`). */
  readonly amr = ['hwk', 'user'];

  constructor(private readonly passkeys: Passkeys) {}

  /** The tenant's switch (settings.passkeys): /v2/auth/config `login_methods.passkey`. */
  enabled(tenant: Tenant): boolean {
    return this.passkeys.offered(tenant);
  }

  async verify(tenant: Tenant, input: PasskeyCredentials, meta: RequestMeta): Promise<SignInProof> {
    this.passkeys.requireOffered(tenant);
    const assertion = await this.passkeys.verifyAssertion(tenant, input.response, meta);
    return { user: assertion.user, amr: amrOf(assertion) };
  }
}

/**
 * A passkey as the second step of a sign-in, for accounts that already have MFA (another factor that is
 * not a fallback): registering a passkey never turns two-step sign-in on by itself. The "code" is the
 * assertion (JSON) to options from POST /v2/auth/webauthn/login/begin; the passkey must be the user's.
 */
export class PasskeyFactor implements SecondFactor {
  readonly id = 'webauthn';
  readonly label = 'Passkey';
  readonly prompt = 'Use your passkey';
  readonly amr = 'hwk';
  readonly browserScripts = PASSKEY_SCRIPTS;

  constructor(
    private readonly deps: {
      db: Database;
      passkeys: Passkeys;
      /** Every second factor of the build (filled once all modules are set up). */
      factors: () => readonly SecondFactor[];
    },
  ) {}

  /** A tenant with passkeys off: no one's passkey is a factor there (they are kept, unused, until it is on). */
  offered(tenant: Pick<Tenant, 'settings'>): boolean {
    return this.deps.passkeys.offered(tenant);
  }

  async enrolled(tenant: Tenant, user: UserRow): Promise<boolean> {
    if (!(await hasPasskey(this.deps.db, tenant.id, user.id))) return false;
    for (const factor of this.others()) if (await factor.enrolled(tenant, user)) return true;
    return false;
  }

  /** `enrolled` in SQL, when every other factor it asks has its own (else undefined: `enrolled` is asked). */
  get enrolledSql(): EnrolledSql | undefined {
    const others = this.others().map((f) => f.enrolledSql);
    return others.every((sql) => sql !== undefined) ? passkeyFactorEnrolledSql(others) : undefined;
  }

  /** The factors whose enrolment a passkey needs beside it (one of them): the others that are not fallbacks. */
  private others(): SecondFactor[] {
    return this.deps.factors().filter((f) => f.id !== this.id && !f.fallback);
  }

  async verify(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<FactorPassed | null> {
    if (!this.offered(tenant)) return null;
    const response = parseAssertion(code);
    if (!response) return null;
    try {
      await this.deps.passkeys.verifyAssertion(tenant, response, meta, user.id);
    } catch (error) {
      if (error instanceof HelloJohnError && ['invalid_credentials', 'invalid_request'].includes(error.code))
        return null;
      throw error;
    }
    return {};
  }
}

/** An assertion as JSON text (a form field, the second step's `code`), or null when it is not one. */
export function parseAssertion(text: string): AuthenticationResponseJSON | null {
  return parsed(AuthenticationResponse, text) as AuthenticationResponseJSON | null;
}

/** A new credential as JSON text (the account page's form field), or null when it is not one. */
export function parseAttestation(text: string): RegistrationResponseJSON | null {
  return parsed(RegistrationResponse, text) as RegistrationResponseJSON | null;
}

function parsed(schema: TSchema, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return Value.Check(schema, value) ? value : null;
}
