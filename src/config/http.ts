// The HTTP sections: the public listener (its base URL, proxies and CORS), the management listener and
// the metrics it serves.
import { isIP } from 'node:net';
import { ConfigError, boolean, duration, integer, quote, type Reader } from './parse.js';

export interface HttpConfig {
  host: string;
  port: number;
  baseUrl: URL;
  /**
   * Whose X-Forwarded-* headers to believe (TRUST_PROXY): false for nobody; a number for that many
   * proxies nearest to the server (`true` is 1); or a comma-separated list of proxy addresses and CIDR
   * ranges, such as "10.0.0.0/8,192.168.1.1".
   */
  trustProxy: false | number | string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  shutdownTimeoutMs: number;
}

/** The management listener: /metrics, /health and /ready, on loopback unless told otherwise. */
export interface ManagementConfig {
  host: string;
  port: number;
}

export interface MetricsConfig {
  enabled: boolean;
  token: string | undefined;
  /** Also serve /metrics on the main port (METRICS_ON_MAIN_PORT); only allowed with a token. */
  onMainPort: boolean;
}

export function httpConfig(read: Reader, baseUrl: URL): HttpConfig {
  return {
    host: read('HOST') ?? '0.0.0.0',
    port: integer(read, 'PORT', 8080, 0, 65_535),
    baseUrl,
    trustProxy: trustProxy(read),
    corsOrigins: corsOrigins(read),
    bodyLimitBytes: integer(read, 'HTTP_BODY_LIMIT', 256 * 1024, 1024, 64 * 1024 * 1024),
    shutdownTimeoutMs: duration(read, 'SHUTDOWN_TIMEOUT', '10s', 0),
  };
}

export function metricsConfig(read: Reader): MetricsConfig {
  const token = read('METRICS_TOKEN');
  const onMainPort = boolean(read, 'METRICS_ON_MAIN_PORT', false);
  // The main port is the public one: metrics there without a token would hand anyone the traffic figures.
  if (onMainPort && token === undefined) {
    throw new ConfigError(
      'METRICS_ON_MAIN_PORT',
      'requires METRICS_TOKEN (metrics on the public port need a token)',
    );
  }
  return { enabled: boolean(read, 'METRICS_ENABLED', true), token, onMainPort };
}

export function managementConfig(read: Reader): ManagementConfig {
  const port = integer(read, 'MANAGEMENT_PORT', 9000, 0, 65_535);
  if (port !== 0 && port === integer(read, 'PORT', 8080, 0, 65_535)) {
    throw new ConfigError('MANAGEMENT_PORT', `must differ from PORT (both are ${port})`);
  }
  return { host: read('MANAGEMENT_HOST') ?? '127.0.0.1', port };
}

export function baseUrl(read: Reader): URL {
  const value = read('BASE_URL') ?? 'http://localhost:8080';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('BASE_URL', `is not a valid URL (got ${quote(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('BASE_URL', 'must be an http:// or https:// URL');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError('BASE_URL', 'must not contain credentials, a query or a fragment');
  }
  // The issuer is compared byte for byte by relying parties: keep it without a trailing slash.
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

const MAX_PROXY_HOPS = 100;

/** TRUST_PROXY: false, true (one proxy), a number of proxies, or a list of proxy addresses and CIDR ranges. */
function trustProxy(read: Reader): HttpConfig['trustProxy'] {
  const value = read('TRUST_PROXY');
  if (value === undefined) return false;
  const lower = value.toLowerCase();
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  // Only the proxy in front of the server: trusting every hop would believe whatever the client wrote
  // at the start of X-Forwarded-For.
  if (['true', 'yes', 'on'].includes(lower)) return 1;
  const hops = /^\d+$/.test(value) ? Number(value) : NaN;
  if (Number.isSafeInteger(hops) && hops >= 1 && hops <= MAX_PROXY_HOPS) return hops;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (entries.length > 0 && bad === undefined) return entries.join(',');
  if (entries.length > 1 && bad !== undefined) {
    throw new ConfigError(
      'TRUST_PROXY',
      `has an entry that is not an IP address or CIDR range like 10.0.0.0/8 (got ${quote(bad)})`,
    );
  }
  throw new ConfigError(
    'TRUST_PROXY',
    `must be true, false, a number of proxies from 1 to ${MAX_PROXY_HOPS}, or a comma-separated list of proxy IP addresses and CIDR ranges (got ${quote(value)})`,
  );
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  // Zone ids (fe80::1%eth0) are refused: Fastify accepts them, but such an entry never matches.
  const family = address.includes('%') || rest.length > 0 ? 0 : isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  // A /0 would trust every address, which is what TRUST_PROXY=true no longer does.
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  return bits >= 1 && bits <= (family === 4 ? 32 : 128);
}

function corsOrigins(read: Reader): string[] {
  const value = read('CORS_ORIGINS');
  if (value === undefined) return [];
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
    .map((origin) => {
      let url: URL | undefined;
      try {
        url = new URL(origin);
      } catch {
        url = undefined;
      }
      if (!url || url.origin !== origin) {
        throw new ConfigError(
          'CORS_ORIGINS',
          `has an entry that is not an origin like https://app.example.com (got ${quote(origin)})`,
        );
      }
      return origin;
    });
}
