// One load run = autocannon against one server for a fixed time with a fixed number of connections
// (pipelining 1: each connection waits for its answer). The measurement keeps what the report needs,
// including every failure: non-2xx answers, connection errors and timeouts are counted, never dropped.
//
// The warm-up is the first part of the same run, not a run of its own: the measured window starts with
// every connection busy and the server's queues full, so a slow server (seconds per answer) is not
// charged for the time its first answers take to come back, and a fast one is not favoured by it.
import autocannon from 'autocannon';
import { cpuSpent, type CpuReading, type CpuSnapshot } from './cpu.js';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Called before each request is sent; what it returns replaces headers and/or body. */
  next?: () => { headers?: Record<string, string>; body?: string };
  /** Called with every answer (after `next` of the following request was prepared, never before). */
  onResponse?: (status: number, body: string) => void;
}

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  /** Length of the measured window. */
  durationSec: number;
  /** Seconds of load before the measured window; their answers are not counted (0 by default). */
  warmupSec?: number;
  /** Snapshots of the server's CPU, taken when the measured window opens and when it closes. */
  cpu?: () => CpuSnapshot;
}

export interface Measurement {
  /** Successful (2xx) answers per second over the run. */
  rps: number;
  /** Latency percentiles of the answers in the measured window, in milliseconds. */
  p50: number;
  p99: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** A few non-2xx answers as "status body…", to say why a scenario failed. */
  failureSamples: string[];
  durationSec: number;
  /** CPU the server and its database spent in the measured window, when `cpu` was given. */
  cpu?: CpuReading;
}

const SAMPLES = 3;

export async function runLoad(request: LoadRequest, options: LoadOptions): Promise<Measurement> {
  const failureSamples: string[] = [];
  const baseHeaders = { ...(request.headers ?? {}) };
  if (
    request.body !== undefined &&
    !Object.keys(baseHeaders).some((h) => h.toLowerCase() === 'content-type')
  ) {
    baseHeaders['content-type'] = 'application/json';
  }
  const next = request.next;
  const onResponse = request.onResponse;
  const warmupMs = (options.warmupSec ?? 0) * 1000;
  const window = new ResponseWindow();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.baseUrl,
        connections: options.connections,
        pipelining: 1,
        duration: (options.warmupSec ?? 0) + options.durationSec,
        timeout: 10,
        requests: [
          {
            method: request.method,
            path: request.path,
            headers: baseHeaders,
            ...(request.body === undefined ? {} : { body: request.body }),
            ...(next
              ? {
                  setupRequest: (req: autocannon.Request) => {
                    const change = next();
                    return {
                      ...req,
                      headers: { ...baseHeaders, ...(change.headers ?? {}) },
                      ...(change.body === undefined ? {} : { body: change.body }),
                    };
                  },
                }
              : {}),
            onResponse: (status: number, body: string) => {
              if ((status < 200 || status > 299) && failureSamples.length < SAMPLES) {
                failureSamples.push(`${status} ${String(body).slice(0, 200)}`);
              }
              onResponse?.(status, body);
            },
          },
        ],
      },
      (error: Error | null, done: autocannon.Result) => {
        window.close();
        if (error) reject(error);
        else resolve(done);
      },
    );
    instance.on('start', () => window.open(warmupMs, options.cpu));
    instance.on('response', (_client, status, _bytes, ms) => window.record(status, ms));
  });
  // Failures count wherever they happened, warm-up included; throughput and latency are the window's.
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = stat.count ?? 0;
  }
  const seconds = window.seconds();
  return {
    rps: seconds > 0 ? window.ok / seconds : 0,
    p50: window.percentile(50),
    p99: window.percentile(99),
    requests: window.ok + window.non2xx,
    ok: window.ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    failureSamples,
    durationSec: seconds,
    ...(window.cpu ? { cpu: window.cpu } : {}),
  };
}

/** The answers completed between the end of the warm-up and the end of the run. */
class ResponseWindow {
  ok = 0;
  non2xx = 0;
  cpu: CpuReading | undefined;
  private readonly latencies: number[] = [];
  private startsAt = Number.POSITIVE_INFINITY;
  private endedAt = 0;
  private opening: NodeJS.Timeout | undefined;
  private cpuReader: (() => CpuSnapshot) | undefined;
  private cpuAtStart: CpuSnapshot | undefined;

  open(afterMs: number, cpu?: () => CpuSnapshot): void {
    this.cpuReader = cpu;
    this.opening = setTimeout(() => {
      this.startsAt = performance.now();
      this.cpuAtStart = cpu?.();
    }, afterMs);
  }

  record(status: number, latencyMs: number): void {
    if (performance.now() < this.startsAt || this.endedAt > 0) return;
    if (status >= 200 && status <= 299) this.ok += 1;
    else this.non2xx += 1;
    this.latencies.push(latencyMs);
  }

  close(): void {
    clearTimeout(this.opening);
    this.endedAt = performance.now();
    if (this.cpuReader && this.cpuAtStart) this.cpu = cpuSpent(this.cpuAtStart, this.cpuReader());
  }

  seconds(): number {
    return Number.isFinite(this.startsAt) ? Math.max(0, (this.endedAt - this.startsAt) / 1000) : 0;
  }

  percentile(p: number): number {
    this.latencies.sort((a, b) => a - b);
    return percentile(this.latencies, p);
  }
}

/** Nearest-rank percentile of ascending values; 0 when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** True when every answer was 2xx and no connection failed. */
export function clean(m: Measurement): boolean {
  return m.non2xx === 0 && m.errors === 0 && m.timeouts === 0 && m.ok > 0;
}

/** "3 non-2xx (401×3), 1 errors" — empty when clean. */
export function problems(m: Measurement): string {
  const parts: string[] = [];
  if (m.non2xx > 0) {
    const codes = Object.entries(m.statusCodes)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, n]) => `${code}×${n}`)
      .join(', ');
    parts.push(`${m.non2xx} non-2xx (${codes})`);
  }
  if (m.errors > 0) parts.push(`${m.errors} connection errors`);
  if (m.timeouts > 0) parts.push(`${m.timeouts} timeouts`);
  if (m.ok === 0) parts.push('no successful answer');
  return parts.join(', ');
}

/**
 * Sends one more request like the run's and waits for its answer (any status), bounded. A server
 * keeps working on requests whose connections the load generator closed at the end of a run (password
 * hashes queued on its thread pool); this answer comes after that backlog, so the next run starts on
 * an idle server.
 */
export async function drain(baseUrl: string, request: LoadRequest, timeoutMs = 120_000): Promise<void> {
  const change = request.next?.() ?? {};
  const headers = { ...(request.headers ?? {}), ...(change.headers ?? {}) };
  const body = change.body ?? request.body;
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  try {
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
  } catch {
    // a server that does not answer in time shows up in the next run's numbers
  }
}
