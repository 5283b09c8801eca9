// A small, bounded HTTP load client for the fault tests: timed JSON requests, a pool of workers that stop
// when told, and the server process's resident memory.
import { readFileSync } from 'node:fs';

export interface Timed {
  method: string;
  path: string;
  status: number;
  /** 0 when no HTTP answer came back (connection refused or reset, or the client-side timeout). */
  headers: Headers | null;
  body: Record<string, unknown>;
  /** performance.now() at the start and end. */
  start: number;
  end: number;
  ms: number;
  /** The network error, when there was no answer. */
  error?: string;
}

/** One JSON request with a client-side deadline, so a hang shows up as a failure instead of a stuck test. */
export async function timedRequest(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Timed> {
  const start = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text.slice(0, 200) };
    }
    const end = performance.now();
    return {
      method,
      path,
      status: response.status,
      headers: response.headers,
      body: parsed,
      start,
      end,
      ms: end - start,
    };
  } catch (error) {
    const end = performance.now();
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      method,
      path,
      status: 0,
      headers: null,
      body: {},
      start,
      end,
      ms: end - start,
      error: `${(error as Error).name}: ${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
    };
  }
}

/**
 * Runs `workers` loops of `step` until `stop()` is called (each finishes the request it is in), or until
 * `maxIterations` in total, whichever comes first. `done` resolves when every worker has returned.
 */
export function runWorkers(
  workers: number,
  step: (worker: number) => Promise<void>,
  maxIterations = 100_000,
): { stop(): void; done: Promise<void>; iterations(): number } {
  let stopped = false;
  let iterations = 0;
  const loop = async (worker: number) => {
    while (!stopped && iterations < maxIterations) {
      iterations++;
      await step(worker);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, i) => loop(i))).then(() => undefined);
  return {
    stop: () => {
      stopped = true;
    },
    done,
    iterations: () => iterations,
  };
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kib) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib[1]) / 1024;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The documented error JSON with 503 and Retry-After, or the reason it is not. */
export function problemWith503(response: Timed): string | null {
  if (response.status !== 503) return `status ${response.status} ${response.error ?? ''}`;
  const retryAfter = response.headers?.get('retry-after');
  if (!retryAfter || !/^\d+$/.test(retryAfter)) return `Retry-After is ${String(retryAfter)}`;
  const { error, error_description, request_id } = response.body;
  if (error !== 'service_unavailable') return `error is ${String(error)}`;
  if (typeof error_description !== 'string' || error_description.length === 0) return 'no error_description';
  if (typeof request_id !== 'string' || request_id !== response.headers?.get('x-request-id'))
    return `request_id ${String(request_id)} does not match X-Request-Id`;
  if (/select|insert|update|relation|at .*\.js/i.test(error_description))
    return `internals in error_description: ${error_description}`;
  return null;
}
