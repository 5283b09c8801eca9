// Scopes: parsing (RFC 6749 §3.3) and what a client may be granted. The scopes themselves and the claims
// they release are in ./scope-registry.ts.
import type { Client } from '../clients/clients.js';
import { InvalidScope } from './errors.js';
import { OFFLINE_ACCESS } from './scope-registry.js';

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
