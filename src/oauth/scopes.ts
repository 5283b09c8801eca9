// Scopes: parsing (RFC 6749 §3.3) and the OpenID Connect standard claims each scope releases (OIDC Core
// §5.4). A user's optional standard claims live in `users.profile`.
import type { Client } from '../clients/clients.js';
import type { UserRow } from '../db/repositories/users.js';
import { InvalidScope } from './errors.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

/** Space-delimited, order kept, duplicates dropped. Throws invalid_scope on a malformed token. */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined) return [];
  const scopes = value.split(' ').filter((s) => s !== '');
  if (scopes.length > 50 || !scopes.every((s) => SCOPE_TOKEN.test(s))) {
    throw new InvalidScope('The scope parameter is malformed.');
  }
  return [...new Set(scopes)];
}

export const formatScope = (scopes: readonly string[]) => scopes.join(' ');

/** OIDC Core §11: a refresh token that outlives the browser session (an offline grant). */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * The requested scopes this client may be granted (RFC 6749 §3.3 lets the server grant fewer; the token
 * response then names what was granted). A scope is kept when the client's registration lists it;
 * offline_access when the client may use the refresh_token grant, which is the switch for it.
 */
export function grantableScopes(
  requested: readonly string[],
  client: Pick<Client, 'scopes' | 'grantTypes'>,
): string[] {
  return requested.filter((s) =>
    s === OFFLINE_ACCESS ? client.grantTypes.includes('refresh_token') : client.scopes.includes(s),
  );
}

/** Scopes that are about the signed-in user; they make no sense in a client_credentials grant. */
export const USER_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'profile',
  'email',
  'phone',
  'address',
  'offline_access',
]);

const PROFILE_CLAIMS = [
  'name',
  'family_name',
  'given_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'updated_at',
] as const;

export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'amr',
  'sid',
  'at_hash',
  ...PROFILE_CLAIMS,
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
  'address',
];

/** The claims about `user` that `scopes` release, `sub` excluded. Absent values are left out. */
export function userClaims(user: UserRow, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const profile = user.profile ?? {};
  const copy = (name: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') claims[name] = value;
  };
  if (scopes.includes('profile')) {
    for (const name of PROFILE_CLAIMS) copy(name, profile[name]);
    copy('name', user.name);
    claims.updated_at = Math.floor(user.updated_at.getTime() / 1000);
  }
  if (scopes.includes('email')) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  if (scopes.includes('phone') && typeof profile.phone_number === 'string') {
    claims.phone_number = profile.phone_number;
    claims.phone_number_verified = profile.phone_number_verified === true;
  }
  if (scopes.includes('address') && profile.address && typeof profile.address === 'object') {
    claims.address = profile.address;
  }
  return claims;
}
