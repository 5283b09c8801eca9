// Where a webhook may be sent (SSRF), and the one POST that sends it. A URL's host is checked when an
// endpoint is saved and again at every delivery: the name is resolved, every address it resolves to is
// checked, and a new connection goes to the checked address (the socket's lookup answers with it), so a
// name that resolves to a public address when saved and to 127.0.0.1 later (DNS rebinding) is refused
// at the next delivery. Connections are kept alive between deliveries to the same host (a backlog to one
// receiver reuses them); a reused one goes to the address checked when it was opened, and every delivery
// still checks the name first. Redirects are never followed (a 3xx is a failed attempt).
import { lookup } from 'node:dns/promises';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { http } from '../../infra/require.js';

/** Ranges no webhook may reach unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is on. */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback (::1), IPv4-compatible
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64: an IPv4 address in disguise
  ['2001:db8::', 32], // documentation
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** The 8 groups of an IPv6 address as numbers (accepts `::` and a dotted IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => parseInt(g, 16));
}

/** Why `address` (an IP literal) may not be reached, or null when it may. */
export function forbiddenAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4') ? `${address} is not a public address` : null;
  if (family !== 6) return `${address} is not an IP address`;
  const groups = ipv6Groups(address);
  // IPv4-mapped (::ffff:a.b.c.d): judged as the IPv4 address it is.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const v4 = [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
    return FORBIDDEN.check(v4, 'ipv4') ? `${address} (${v4}) is not a public address` : null;
  }
  return FORBIDDEN.check(address, 'ipv6') ? `${address} is not a public address` : null;
}

/** The URL's host as an address or a name (IPv6 without its brackets, a name without its final dot). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The addresses the URL's host resolves to, each checked (unless private networks are allowed). Throws
 * an UnsafeTargetError naming the first refused one; a name that does not resolve throws a plain Error.
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const host = hostOf(url);
  // RFC 6761: localhost names are loopback, whatever a resolver says (or fails to say) of them.
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost')))
    throw new UnsafeTargetError(`${host} is a loopback name`);
  const literal = isIP(host);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: host, family: literal as 4 | 6 }]
    : (await lookup(host, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family as 4 | 6,
      }));
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const reason = forbiddenAddress(address);
      if (reason) throw new UnsafeTargetError(`${host}: ${reason}`);
    }
  }
  return addresses;
}

export class UnsafeTargetError extends Error {
  override readonly name = 'UnsafeTargetError';
}

export interface PostResult {
  /** The answer's status; undefined when there was none. */
  status?: number;
  /** What went wrong, short (no answer, a refused address, a timeout). */
  error?: string;
  durationMs: number;
}

const MAX_ERROR = 200;

/** Idle connections are closed after this; a delivery's own deadline is WEBHOOK_TIMEOUT. */
const IDLE_CONNECTION_MS = 5_000;
const agentOptions = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: IDLE_CONNECTION_MS };
const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

/**
 * POSTs `body` to `url` with `headers`, connecting only to an address resolveTarget checked; resolves
 * (never rejects) with what happened. The answer's body is read (up to a few KiB) and ignored.
 */
export async function postTo(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const done = (result: Omit<PostResult, 'durationMs'>): PostResult => ({
    ...result,
    ...(result.error ? { error: result.error.slice(0, MAX_ERROR) } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  let target: ResolvedAddress;
  try {
    [target] = (await resolveTarget(url, options.allowPrivate)) as [ResolvedAddress];
  } catch (error) {
    return done({ error: (error as Error).message });
  }
  // The socket connects to the checked address, whatever the name resolves to by now.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as (e: null, a: ResolvedAddress[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const [client, agent] = url.protocol === 'https:' ? [https, agents.https] : [http, agents.http];
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(result));
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinned,
        agent,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let seen = 0;
        response.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 8192) response.destroy();
        });
        response.on('end', () => finish({ status }));
        response.on('close', () => finish({ status }));
        response.on('error', () => finish({ status }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `timed out after ${options.timeoutMs} ms` });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) =>
      finish({ error: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    request.end(body);
  });
}
