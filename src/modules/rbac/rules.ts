// The shape rules of roles, permissions and API resources (no I/O): what the admin API and the CLI
// accept. Each failure is a HelloJohnError `invalid_request` naming the field.
import { HelloJohnError } from '../../errors.js';
import type { Tenant } from '../../tenants/tenants.js';

export const MAX_PERMISSIONS = 100;
export const MAX_NAME = 200;
/** Within what the authorization endpoint accepts for one parameter (256 characters). */
export const MAX_IDENTIFIER = 256;
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 86_400;

const invalid = (description: string) => new HelloJohnError('invalid_request', description);

const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
// An RFC 6749 §3.3 scope token: a permission is a scope a token for the resource may carry.
const PERMISSION = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
// The scopes of OpenID Connect and this server's own APIs: never an API's permission.
const RESERVED = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access']);
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[\x21-\x7E]+$/;

export function roleName(value: string, field = 'name'): string {
  if (!ROLE_NAME.test(value))
    throw invalid(
      `${field}: 1 to 64 letters, digits, and _ . : - (starting with a letter or digit); got "${printable(value)}".`,
    );
  return value;
}

export function description(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  if (value.length > MAX_NAME) throw invalid(`description: at most ${MAX_NAME} characters.`);
  return value.trim();
}

export function permission(value: string): string {
  if (!PERMISSION.test(value))
    throw invalid(
      `permission "${printable(value)}": a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes; 1 to 100 characters).`,
    );
  if (RESERVED.has(value))
    throw invalid(`permission "${value}": an OpenID Connect scope, not an API's permission.`);
  return value;
}

export function permissions(values: readonly string[]): string[] {
  const list = [...new Set(values.map(permission))];
  if (list.length > MAX_PERMISSIONS) throw invalid(`permissions: at most ${MAX_PERMISSIONS}.`);
  return list;
}

export function resourceName(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > MAX_NAME) throw invalid(`name: 1 to ${MAX_NAME} characters.`);
  return name;
}

export function ttlSeconds(value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value < MIN_TTL_SECONDS || value > MAX_TTL_SECONDS)
    throw invalid(`access_token_ttl: whole seconds from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}.`);
  return value;
}

/**
 * An API's identifier (RFC 8707 §2: an absolute URI without a fragment): https with a host, or a URN.
 * Never this server's own addresses (the tenant's issuer, or anything under the installation's base
 * URL): a token for an API must not be one our endpoints, or another tenant's, would take.
 */
export function identifier(value: string, tenant: Pick<Tenant, 'issuer'>, baseUrl: URL): string {
  if (value.length === 0 || value.length > MAX_IDENTIFIER)
    throw invalid(`identifier: 1 to ${MAX_IDENTIFIER} characters.`);
  if (value.toLowerCase().startsWith('urn:')) {
    if (!URN.test(value)) throw invalid('identifier: a URN as urn:<nid>:<nss>, without spaces.');
    return value;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('identifier: an absolute https URI or a URN.');
  }
  if (url.protocol !== 'https:' || url.hostname === '')
    throw invalid('identifier: an absolute https URI or a URN.');
  if (value.includes('#')) throw invalid('identifier: no fragment (RFC 8707 §2).');
  if (url.username || url.password) throw invalid('identifier: no user name or password.');
  if (/\s/.test(value)) throw invalid('identifier: no spaces.');
  if (underOwn(url, new URL(tenant.issuer)) || underOwn(url, baseUrl))
    throw invalid("identifier: this server's own address; name your API by its own URI.");
  return value;
}

function underOwn(url: URL, own: URL): boolean {
  if (url.host.toLowerCase() !== own.host.toLowerCase()) return false;
  const base = own.pathname.replace(/\/+$/, '');
  return base === '' || url.pathname === base || url.pathname.startsWith(`${base}/`);
}

const printable = (value: string) => value.replace(/[^\x20-\x7E]/g, '?').slice(0, 80);
