// How long a tenant's tokens and sessions live: the tenant's `lifetimes` setting (seconds, each member
// optional) over the installation's ACCESS_TTL, ID_TOKEN_TTL, REFRESH_TTL, SESSION_TTL and SESSION_IDLE_TTL.
// Derived here once per tenant object (the cached tenant is replaced when its settings change, so the
// derivation follows without a query), and read by everything that issues or checks a token or session.
// OFFLINE_SESSION_TTL stays installation-wide.

/** Bounds of each member, in seconds (the rule and the schema share them). */
export const LIFETIME_BOUNDS = {
  access_token: { min: 60, max: 86_400 },
  id_token: { min: 60, max: 86_400 },
  refresh_token: { min: 60, max: 31_536_000 },
  session: { min: 60, max: 31_536_000 },
  session_idle: { min: 60, max: 31_536_000 },
} as const;
export type LifetimeMember = keyof typeof LIFETIME_BOUNDS;

/** What is in effect for one tenant. */
export interface Lifetimes {
  accessTokenSeconds: number;
  idTokenSeconds: number;
  refreshTtlMs: number;
  /** A session's absolute lifetime. */
  sessionTtlMs: number;
  /** A session unused this long ends; never more than sessionTtlMs. */
  sessionIdleTtlMs: number;
}

/** The installation's defaults (src/config/auth.ts). */
export interface LifetimeDefaults {
  tokens: { accessTtlMs: number; idTokenTtlMs: number; refreshTtlMs: number };
  sessions: { ttlMs: number; idleTtlMs: number };
}

/**
 * A tenant's lifetimes. Lenient like every settings reader: a stored value that is not a whole number of
 * seconds within its bounds means the default (so nothing but a number ever reaches SQL or a JWT).
 */
export function tenantLifetimes(
  tenant: { settings: Record<string, unknown> },
  defaults: LifetimeDefaults,
): Lifetimes {
  const raw = tenant.settings.lifetimes;
  const stored = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const seconds = (member: LifetimeMember): number | undefined => {
    const value = stored[member];
    const { min, max } = LIFETIME_BOUNDS[member];
    return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
      ? (value as number)
      : undefined;
  };
  const ms = (member: LifetimeMember, fallback: number) => {
    const s = seconds(member);
    return s === undefined ? fallback : s * 1000;
  };
  const sessionTtlMs = ms('session', defaults.sessions.ttlMs);
  return {
    accessTokenSeconds: seconds('access_token') ?? Math.floor(defaults.tokens.accessTtlMs / 1000),
    idTokenSeconds: seconds('id_token') ?? Math.floor(defaults.tokens.idTokenTtlMs / 1000),
    refreshTtlMs: ms('refresh_token', defaults.tokens.refreshTtlMs),
    sessionTtlMs,
    sessionIdleTtlMs: Math.min(ms('session_idle', defaults.sessions.idleTtlMs), sessionTtlMs),
  };
}

/** tenantLifetimes, remembered per tenant object: the hot token path derives nothing twice. */
export class TenantLifetimes {
  private readonly derived = new WeakMap<object, Lifetimes>();

  constructor(private readonly defaults: LifetimeDefaults) {}

  of(tenant: { settings: Record<string, unknown> }): Lifetimes {
    let lifetimes = this.derived.get(tenant.settings);
    if (!lifetimes) {
      lifetimes = tenantLifetimes(tenant, this.defaults);
      this.derived.set(tenant.settings, lifetimes);
    }
    return lifetimes;
  }
}
