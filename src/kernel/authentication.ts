// The shapes every sign-in method and second factor share. A method proves who the user is (an
// Authenticator); a login then either signs in, or asks for a second step when a registered second
// factor applies to the user. Feature modules contribute both; the login service switches on neither.
import type { Queryable } from '../db/database.js';
import type { UserRow } from '../db/repositories/users.js';
import type { Tenant } from '../tenants/tenants.js';
import type { RequestMeta } from '../auth/public.js';

/** One way of proving who you are at sign-in (password, magic link, passkey, social provider…). */
export interface Authenticator<Input> {
  /** The name in /v2/auth/config's `login_methods` and in the session's audit event. */
  readonly method: string;
  /** RFC 8176 Authentication Method Reference values a session started this way carries. */
  readonly amr: readonly string[];
  /** Whether the tenant offers this method (shown in /v2/auth/config). */
  enabled(tenant: Tenant): boolean;
  /**
   * The user the input proves, or a HelloJohnError (invalid_credentials, rate_limited, access_denied…).
   * Failures must not tell whether an account exists.
   */
  verify(tenant: Tenant, input: Input, meta: RequestMeta): Promise<UserRow>;
}

/** A second factor a user may have enrolled (TOTP, email code, recovery codes…). */
export interface SecondFactor {
  /** The name a client sends back with the challenge (`factor` in /v2/mfa/challenge). */
  readonly id: string;
  /** What the sign-in page calls it ("Authenticator app"). */
  readonly label: string;
  /** The amr value a session gains when this factor is passed. */
  readonly amr: string;
  /** Whether the user must (and can) pass this factor at sign-in. */
  required(tenant: Tenant, user: UserRow): Promise<boolean>;
  /** Checks what the user typed; true when it proves the factor. Rate limits are the factor's own. */
  verify(tenant: Tenant, user: UserRow, code: string, meta: RequestMeta): Promise<boolean>;
}

/** What a login ends in: signed in, or a second step is required before anything is issued. */
export type LoginOutcome<SignedIn> =
  { kind: 'signed_in'; result: SignedIn } | { kind: 'second_step'; challenge: SecondStepChallenge };

export interface SecondStepChallenge {
  /** Sealed, short-lived proof that the first step passed (the `mfa_token` of the API). */
  token: string;
  /** The factors the user can answer with. */
  factors: string[];
  expiresInSeconds: number;
}

/**
 * Runs inside the registration transaction, after the user row is written. Returns work to do once the
 * transaction commits (send mail…), or nothing.
 */
export type UserRegisteredHook = (
  tx: Queryable,
  tenant: Tenant,
  user: UserRow,
) => Promise<(() => void) | void>;
