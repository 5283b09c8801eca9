// Social sign-in (src/modules/social/): where each built-in provider lives, and how long its steps may
// take. A provider's base URL is configuration only (never request input): SOCIAL_<PROVIDER>_URL replaces
// the provider's public address, for a GitHub Enterprise Server, a test double, or a proxy.
import { ConfigError, duration, quote, type Reader } from './parse.js';

/** The built-in providers whose address SOCIAL_<ID>_URL may replace. */
export const SOCIAL_URL_PROVIDERS = [
  'google',
  'github',
  'microsoft',
  'discord',
  'facebook',
  'linkedin',
  'apple',
  'gitlab',
] as const;

export interface SocialConfig {
  /** Per provider: its issuer (OpenID Connect) or base URL (OAuth 2.0), replacing the public one. */
  urls: Partial<Record<(typeof SOCIAL_URL_PROVIDERS)[number], URL>>;
  /** How long a call to a provider (discovery, token, user info, keys) may take. */
  httpTimeoutMs: number;
  /** How long the user has between leaving for the provider and coming back. */
  flowTtlMs: number;
  /** How long an application has to exchange the one-time code of /v2/auth/social/exchange. */
  exchangeCodeTtlMs: number;
}

export function socialConfig(read: Reader): SocialConfig {
  const urls: SocialConfig['urls'] = {};
  for (const id of SOCIAL_URL_PROVIDERS) {
    const name = `SOCIAL_${id.toUpperCase()}_URL`;
    const value = read(name);
    if (value === undefined) continue;
    const url = providerUrl(value);
    if (!url)
      throw new ConfigError(
        name,
        `must be an https:// URL (http:// only on a loopback host), got ${quote(value)}`,
      );
    urls[id] = url;
  }
  return {
    urls,
    httpTimeoutMs: duration(read, 'SOCIAL_HTTP_TIMEOUT', '10s', 100),
    flowTtlMs: duration(read, 'SOCIAL_FLOW_TTL', '10m', 10_000),
    exchangeCodeTtlMs: duration(read, 'SOCIAL_EXCHANGE_CODE_TTL', '2m', 1000),
  };
}

/**
 * A provider address we accept (from configuration or an admin): https, or http on a loopback host (a
 * development or test provider); no credentials, query or fragment. Null otherwise.
 */
export function providerUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash) return null;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return null;
  return url;
}
