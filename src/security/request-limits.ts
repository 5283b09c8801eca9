// The request limits of the auth and token endpoints. The rule: limits stop guessing, not people. An
// address may stand for a whole campus or office behind one NAT, so its total budget is large; what is
// budgeted tightly is failures (wrong passwords, bad client secrets), per address here and per account in
// LoginLockout. An authenticated OAuth client is counted as itself, wherever its requests come from.
import type { Config } from '../config.js';
import { RateLimitedError, ipLimitKey, type RateLimitStore, type RateLimiter } from './rate-limit.js';

export type IpAction = 'login' | 'register' | 'forgot' | 'refresh';
export type AccountAction = 'forgot';

/** A point of an address's failure budget, held while an attempt is checked. */
export interface FailureHold {
  /** The attempt succeeded, or ended without a verdict: the point goes back. A failure keeps it. */
  giveBack(): Promise<void>;
}

/** Who a token request is counted as: an authenticated client is itself; anyone can name a public one. */
export interface TokenRequester {
  tenantId: string;
  clientId: string;
  authenticated: boolean;
  ip: string;
}

const MINUTE = 60;

/**
 * Per minute: `perIpPerMinute` requests per address for each action; `failuresPerIpPerMinute` failures per
 * address, all actions together; `perAccountPerMinute` recovery mails per account; `perClientPerMinute`
 * token requests per authenticated client. Each check consumes one point and throws RateLimitedError when
 * over. IPv6 addresses are counted per /64 (ipLimitKey).
 */
export class RequestLimits {
  private readonly ip: Record<IpAction, RateLimiter>;
  private readonly account: Record<AccountAction, RateLimiter>;
  private readonly failures: RateLimiter;
  private readonly clientFailures: RateLimiter;
  private readonly client: RateLimiter;
  private readonly publicClient: RateLimiter;

  constructor(store: RateLimitStore, config: Config['rateLimits']) {
    const perMinute = (name: string, points: number) =>
      store.limiter({ name, points, durationSeconds: MINUTE });
    this.ip = {
      login: perMinute('ip:login', config.perIpPerMinute),
      register: perMinute('ip:register', config.perIpPerMinute),
      forgot: perMinute('ip:forgot', config.perIpPerMinute),
      refresh: perMinute('ip:refresh', config.perIpPerMinute),
    };
    this.account = { forgot: perMinute('account:forgot', config.perAccountPerMinute) };
    this.failures = perMinute('ip:failures', config.failuresPerIpPerMinute);
    this.clientFailures = perMinute('client-ip:failures', config.failuresPerIpPerMinute);
    this.client = perMinute('client:token', config.perClientPerMinute);
    this.publicClient = perMinute('client-ip:token', config.perIpPerMinute);
  }

  async checkIp(action: IpAction, ip: string): Promise<void> {
    await enforce(this.ip[action], ipLimitKey(ip));
  }

  async checkAccount(action: AccountAction, accountKey: string): Promise<void> {
    await enforce(this.account[action], accountKey);
  }

  /**
   * Counts a token request. An authenticated client is limited per client, so one client's traffic from
   * one address (a backend serving many users) is not mistaken for one abuser. A public client proves
   * nothing, so anyone could spend its budget for everyone: it is limited per client and address.
   */
  async checkTokenRequest(requester: TokenRequester): Promise<void> {
    const { tenantId, clientId } = requester;
    if (requester.authenticated) await enforce(this.client, `${tenantId}:${clientId}`);
    else await enforce(this.publicClient, `${tenantId}:${clientId}:${ipLimitKey(requester.ip)}`);
  }

  /**
   * Takes a point of the address's failure budget for an attempt about to be checked (a password, a
   * client secret). The attempt counts as a failure from the start, so parallel guesses from one address
   * get no more tries than sequential ones; `giveBack` returns the point when it succeeds. Refused (a
   * RateLimitedError, holding nothing) when the budget is spent.
   */
  async holdFailure(ip: string): Promise<FailureHold> {
    const key = ipLimitKey(ip);
    const held = await this.failures.consume(key);
    if (!held.allowed) {
      // A refused consume still counts (in both stores); give it back so it holds nothing.
      await this.failures.refund(key);
      throw new RateLimitedError(held.retryAfterSeconds);
    }
    return { giveBack: () => this.failures.refund(key) };
  }

  /**
   * Client authentication, counted per client and address: refused once that budget of failures is spent
   * (then even the right secret gets 429, which tells nothing); only failures count, via
   * `clientFailed`. No hold as for passwords: secrets are 256-bit random, so parallel guesses gain nothing,
   * and a success costs one read. In the address's pool, anyone behind a shared address (a NAT, a PaaS
   * egress) could spend the budget and block every other client and every sign-in there.
   */
  async checkClientFailures(tenantId: string, clientId: string, ip: string): Promise<void> {
    const result = await this.clientFailures.peek(clientFailureKey(tenantId, clientId, ip));
    if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds);
  }

  async clientFailed(tenantId: string, clientId: string, ip: string): Promise<void> {
    await this.clientFailures.consume(clientFailureKey(tenantId, clientId, ip));
  }
}

const clientFailureKey = (tenantId: string, clientId: string, ip: string) =>
  `${tenantId}:${clientId}:${ipLimitKey(ip)}`;

async function enforce(limiter: RateLimiter, key: string): Promise<void> {
  const result = await limiter.consume(key);
  if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds);
}
