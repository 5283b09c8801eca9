// The scopes this server knows, each stated once with the claims it releases and how each claim is read
// from a user (OIDC Core §5.4; a user's optional standard claims live in `users.profile`). Derived from
// it: discovery's scopes_supported and claims_supported, the user claims of ID tokens and UserInfo, the
// scopes a new client gets by default, the scopes a client_credentials grant refuses, and the consent
// page's text. A feature module adds scopes by building a registry with more definitions:
// `new ScopeRegistry([...STANDARD_SCOPE_DEFINITIONS, ...its own])`.
import type { UserRow } from '../db/repositories/users.js';

/** OIDC Core §11: a refresh token that outlives the browser session (an offline grant). */
export const OFFLINE_ACCESS = 'offline_access';

/** How a claim is read from a user: undefined when the user has no value (the claim is left out). */
export type ClaimReader = (user: UserRow) => unknown;

export interface ScopeDefinition {
  name: string;
  /** What granting it allows, in the words of the consent page. */
  description: string;
  /** Granted to a new client that names no scopes. */
  byDefault: boolean;
  /** About the signed-in user: meaningless, and refused, in a grant without one (client_credentials). */
  aboutUser: boolean;
  /** The claims it releases, in order, each with how it is read. */
  claims: Readonly<Record<string, ClaimReader>>;
}

export class ScopeRegistry {
  readonly #scopes: ReadonlyMap<string, ScopeDefinition>;
  /** Every scope's name, in definition order (discovery's scopes_supported). */
  readonly names: readonly string[];
  /** Every claim some scope releases, in definition order, each once. */
  readonly claimNames: readonly string[];
  /** The scopes granted to a new client that names none. */
  readonly defaultScopes: readonly string[];
  /** The consent page's text for each scope. */
  readonly descriptions: Readonly<Record<string, string>>;

  constructor(definitions: readonly ScopeDefinition[]) {
    const scopes = new Map<string, ScopeDefinition>();
    for (const definition of definitions) {
      if (scopes.has(definition.name)) throw new Error(`Scope ${definition.name} is defined twice.`);
      scopes.set(definition.name, definition);
    }
    this.#scopes = scopes;
    this.names = [...scopes.keys()];
    this.claimNames = [...new Set(definitions.flatMap((definition) => Object.keys(definition.claims)))];
    this.defaultScopes = definitions.filter((d) => d.byDefault).map((d) => d.name);
    this.descriptions = Object.fromEntries(definitions.map((d) => [d.name, d.description]));
  }

  /** True for a known scope about the signed-in user. */
  isAboutUser(scope: string): boolean {
    return this.#scopes.get(scope)?.aboutUser === true;
  }

  /** The claims about `user` that `scopes` release, `sub` excluded. Absent values are left out. */
  userClaims(user: UserRow, scopes: readonly string[]): Record<string, unknown> {
    const claims: Record<string, unknown> = {};
    for (const scope of scopes) {
      const definition = this.#scopes.get(scope);
      if (!definition) continue;
      for (const [claim, read] of Object.entries(definition.claims)) {
        const value = read(user);
        if (value !== undefined) claims[claim] = value;
      }
    }
    return claims;
  }
}

/** A profile value, or undefined when it is missing, null or empty. */
const present = (value: unknown): unknown =>
  value === undefined || value === null || value === '' ? undefined : value;
const fromProfile =
  (name: string): ClaimReader =>
  (user) =>
    present(user.profile?.[name]);
const phoneNumber = (user: UserRow): string | undefined =>
  typeof user.profile?.phone_number === 'string' ? user.profile.phone_number : undefined;

export const STANDARD_SCOPE_DEFINITIONS: readonly ScopeDefinition[] = [
  {
    name: 'openid',
    description: 'Sign you in with your account',
    byDefault: true,
    aboutUser: true,
    claims: {},
  },
  {
    name: 'profile',
    description: 'See your basic profile: name, username, picture and locale',
    byDefault: true,
    aboutUser: true,
    claims: {
      // The account's own name wins over one in the profile.
      name: (user) => present(user.name) ?? fromProfile('name')(user),
      family_name: fromProfile('family_name'),
      given_name: fromProfile('given_name'),
      middle_name: fromProfile('middle_name'),
      nickname: fromProfile('nickname'),
      preferred_username: fromProfile('preferred_username'),
      profile: fromProfile('profile'),
      picture: fromProfile('picture'),
      website: fromProfile('website'),
      gender: fromProfile('gender'),
      birthdate: fromProfile('birthdate'),
      zoneinfo: fromProfile('zoneinfo'),
      locale: fromProfile('locale'),
      updated_at: (user) => Math.floor(user.updated_at.getTime() / 1000),
    },
  },
  {
    name: 'email',
    description: 'See your email address',
    byDefault: true,
    aboutUser: true,
    claims: { email: (user) => user.email, email_verified: (user) => user.email_verified },
  },
  {
    name: 'phone',
    description: 'See your phone number',
    byDefault: true,
    aboutUser: true,
    claims: {
      phone_number: phoneNumber,
      phone_number_verified: (user) =>
        phoneNumber(user) === undefined ? undefined : user.profile?.phone_number_verified === true,
    },
  },
  {
    name: 'address',
    description: 'See your postal address',
    byDefault: true,
    aboutUser: true,
    claims: {
      address: (user) => {
        const address = user.profile?.address;
        return address && typeof address === 'object' ? address : undefined;
      },
    },
  },
  {
    // Granted only to clients that may use the refresh_token grant (src/oauth/scopes.ts), never by
    // default.
    name: OFFLINE_ACCESS,
    description: 'Keep access to your account when you are not using the app',
    byDefault: false,
    aboutUser: true,
    claims: {},
  },
];

export const STANDARD_SCOPES = new ScopeRegistry(STANDARD_SCOPE_DEFINITIONS);
