// Parsers for environment variables: each reads one variable through a Reader, falls back to a default
// when it is unset, and throws a ConfigError naming the variable when its value is bad. Pure functions of
// the environment record src/config.ts (the only reader of process.env) passes in.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} ${detail}`);
  }
}

export type Env = Record<string, string | undefined>;

/** One variable's value, trimmed; undefined when unset or blank. */
export type Reader = (name: string) => string | undefined;

export function readerOf(env: Env): Reader {
  return (name) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
}

/** A value as it appears in an error message: quoted, and cut short when long. */
export const quote = (value: string) =>
  JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);

export function oneOf<T extends string>(read: Reader, name: string, allowed: readonly T[], fallback: T): T {
  const value = read(name);
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got ${quote(value)})`);
}

export function integer(read: Reader, name: string, fallback: number, min: number, max: number): number {
  const value = read(name);
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got ${quote(value)})`);
  }
  return parsed;
}

export function boolean(read: Reader, name: string, fallback: boolean): boolean {
  const value = read(name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false (got ${quote(value)})`);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses Go-style durations: `500ms`, `10s`, `15m`, `720h`, `1h30m`. A bare number means seconds. */
export function parseDuration(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parts = /^(?:\d+(?:ms|s|m|h|d))+$/.test(value) ? value.match(/\d+(?:ms|s|m|h|d)/g) : null;
  if (!parts) return undefined;
  let total = 0;
  for (const part of parts) {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(part)!;
    total += Number(amount) * DURATION_UNITS[unit!]!;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

export function duration(read: Reader, name: string, fallback: string, minMs: number): number {
  const value = read(name) ?? fallback;
  const parsed = parseDuration(value);
  if (parsed === undefined || parsed < minMs) {
    throw new ConfigError(name, `must be a duration such as 500ms, 10s, 15m or 720h (got ${quote(value)})`);
  }
  return parsed;
}

/** A 32-byte key written as hex or base64. */
export function key(read: Reader, name: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  const valid = encoding === 'hex' ? /^[0-9a-fA-F]{64}$/.test(value) : /^[A-Za-z0-9+/]{43}=$/.test(value);
  if (!valid) {
    const form = encoding === 'hex' ? '64 hex characters' : '44 base64 characters';
    throw new ConfigError(
      name,
      `must be 32 bytes written as ${form} (generate one with: openssl rand -${encoding === 'hex' ? 'hex' : 'base64'} 32)`,
    );
  }
  return Buffer.from(value, encoding);
}

export function optionalUrl(read: Reader, name: string, protocols: string[]): string | undefined {
  const value = read(name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return value;
}
