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
   * Failures must not tell whether an account exists. A method whose `amr` depends on the proof (a
   * passkey with or without user verification) answers a SignInProof.
   */
  verify(tenant: Tenant, input: Input, meta: RequestMeta): Promise<UserRow | SignInProof>;
}

/**
 * A user proven with the amr values this proof earned (instead of the Authenticator's own). With `mfa`
 * among them the first step proved two factors itself, and no second step is asked for.
 */
export interface SignInProof {
  user: UserRow;
  amr: readonly string[];
  /**
   * The ids of the user's ready second factors, when the Authenticator read them with the user (the
   * password login: `EnrolledFactors.columns` in the statement that finds the account); absent: the
   * login asks.
   */
  enrolled?: readonly string[];
}

/** SecondFactor.enrolledSql: the SQL for SQL expressions of the tenant's id and the user's id. */
export type EnrolledSql = (tenantId: string, userId: string) => string;

/** One way a user can sign in that a module holds for them (a passkey, a linked social account). */
export interface UserIdentity {
  /** The Authenticator's `method` it signs in with (`passkey`, `google`…); `password` for the core's. */
  method: string;
  /** Its id within the method (a credential id, the provider's subject): with `method`, unique per user. */
  id: string;
  /** What the account page and the admin API show ("MacBook passkey", "ana@gmail.com"). */
  label: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/**
 * A module's identities of a user. Removing one goes through CoreServices.identities.remove, which keeps
 * at least one way to sign in.
 */
export interface IdentitySource {
  list(db: Queryable, tenant: Tenant, userId: string): Promise<UserIdentity[]>;
}

/** A second factor a user may have enrolled (TOTP, email code, SMS code, recovery codes…). */
export interface SecondFactor {
  /** The name a client sends back with the challenge (`factor` in /v2/mfa/challenge). */
  readonly id: string;
  /** What the sign-in page calls it ("Authenticator app"). */
  readonly label: string;
  /** What the code field asks for ("The 6-digit code from your authenticator app"). */
  readonly prompt: string;
  /** The amr value a session gains when this factor is passed (RFC 8176). */
  readonly amr: string;
  /** A fallback (recovery codes): offered, never preferred, never enough on its own to enrol. */
  readonly fallback?: boolean;
  /** What its codes are made of: digits (the default: a phone shows its number pad), or text. */
  readonly codeKind?: 'digits' | 'text';
  /**
   * Answered by a script in the browser, not typed (a passkey): the /mfa page loads these scripts (paths
   * under the tenant's base path) and, instead of the code field, shows a form `#factor-<id>` (hidden
   * until the script shows it) whose button the script drives, posting the answer as `code`.
   */
  readonly browserScripts?: readonly string[];
  /**
   * Whether the tenant offers this factor at all (a module's own per-tenant switch); absent: always. A
   * factor the tenant does not offer is nobody's there: the login and the MFA policy skip it, whatever
   * `enrolled` says.
   */
  offered?(tenant: Pick<Tenant, 'settings'>): boolean;
  /** Whether the user has this factor ready to use (where the tenant offers it: see `offered`). */
  enrolled(tenant: Tenant, user: UserRow): Promise<boolean>;
  /**
   * `enrolled` as a boolean SQL expression over the SQL expressions it is given for the tenant's id and the
   * user's id (`$1` and `$2`, or the columns of the user row being read), e.g.
   * `(t, u) => \`hellojohn_mfa_totp_enrolled(${t}, ${u})\``; it must answer exactly what `enrolled`
   * answers, and false for a NULL user id. Every sign-in asks, so the login asks every factor that has
   * one in a single statement: the password login in the statement that reads the user, the others in
   * one query (one round trip, however many modules add factors); a factor without one (or undefined) is
   * asked through `enrolled`, one round trip more. Make it a call of a PL/pgSQL function of the module's
   * migrations: PostgreSQL plans a function's statements once per connection, and an `EXISTS` in the
   * composed statement would be planned again at every sign-in. Read once, at the first sign-in, after
   * every module is set up.
   */
  readonly enrolledSql?: EnrolledSql;
  /**
   * Sends a code where the factor delivers one (email, SMS); answers where it went, masked for display
   * ("j•••@example.com"). The factor enforces its own send caps (rate_limited).
   */
  send?(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<{ sentTo: string }>;
  /**
   * Starts setting the factor up for a user who has none, during a sign-in that requires one (`enroll`
   * challenges): what the page shows (an authenticator app's QR code as SVG and its secret). The first
   * correct code, passed to `verify` with `enrolling`, confirms it. Absent: the factor cannot be set up
   * during a sign-in.
   */
  beginEnrollment?(tenant: Tenant, user: UserRow): Promise<Enrollment>;
  /**
   * Checks what the user typed; null unless it proves the factor. `enrolling`: the challenge lets the
   * user set this factor up now (the tenant requires a second factor and the user has none yet), so a
   * pending enrolment may be confirmed by this code. Rate limits on top of the login's are the factor's own.
   */
  verify(
    tenant: Tenant,
    user: UserRow,
    code: string,
    meta: RequestMeta,
    context: { enrolling: boolean },
  ): Promise<FactorPassed | null>;
}

/** A factor the user just passed. */
export interface FactorPassed {
  /**
   * How many more times it can be used, for a factor with a fixed number of uses (recovery codes): the
   * user is told, so they can make new ones before they run out. Absent: no such limit.
   */
  remaining?: number;
}

/** What a user needs to set a factor up: shown once, on the page or in the API answer. */
export interface Enrollment {
  /** otpauth:// URI (RFC 6238 key URI format), for authenticator apps. */
  uri?: string;
  /** The QR code of `uri`, as an SVG document rendered on the server. */
  qrSvg?: string;
  /** The secret in base32, for typing into an app by hand. */
  secret?: string;
  /**
   * Recovery codes made with the user's first factor: shown this once, usable once the factor is
   * confirmed.
   */
  recoveryCodes?: string[];
}

/** What the policy decides for one sign-in. */
export type SecondStepDecision =
  | { required: false }
  | {
      required: true;
      /** The factors the user may answer with (enrolled and allowed), fallbacks last. */
      factors: string[];
      preferred?: string;
      /** No factor yet but one is required: the user sets one of `factors` up during this sign-in. */
      enroll?: boolean;
      /** Offer "remember this device" for this many days (0 or absent: not offered). */
      rememberDays?: number;
    };

/** A cookie a module sets in the browser that passed a second step ("remember this device"). */
export interface DeviceCookie {
  name: string;
  value: string;
  maxAgeSeconds: number;
}

/**
 * Whether a sign-in needs a second step: the tenant's MFA policy, trusted devices, adaptive rules. One per
 * build (the MFA module's); without one, a user with an enrolled factor always passes it.
 */
export interface SecondStepPolicy {
  decide(
    tenant: Tenant,
    user: UserRow,
    context: {
      /** Ids of the registered factors the user has enrolled. */
      enrolled: readonly string[];
      meta: RequestMeta;
      /** A signed-in session asks for more (step-up), rather than a new sign-in. */
      stepUp: boolean;
    },
  ): Promise<SecondStepDecision>;
  /** The cookie that lets this browser skip the second step next time, when the user asked for it. */
  rememberDevice?(tenant: Tenant, user: UserRow, meta: RequestMeta): Promise<DeviceCookie | null>;
}

/** What a login ends in: signed in, or a second step is required before anything is issued. */
export type LoginOutcome<SignedIn> =
  { kind: 'signed_in'; result: SignedIn } | { kind: 'second_step'; challenge: SecondStepChallenge };

export interface SecondStepChallenge {
  /** Sealed, short-lived proof that the first step passed (the `mfa_token` of the API). */
  token: string;
  /** The factors the user can answer with. */
  factors: string[];
  preferred?: string;
  /** The user has no factor yet and sets one of `factors` up now. */
  enroll: boolean;
  /** "Remember this device" is offered for this many days (0: not offered). */
  rememberDays: number;
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
