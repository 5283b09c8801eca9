// Runs test/support/webhook-receiver.mjs as its own process and reads what it recorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, 'webhook-receiver.mjs');

export interface Received {
  name: string;
  valid: boolean;
  problem: string | null;
  status: number;
  delivery_id: string;
  event: string;
  signature: string;
  content_type: string;
  user_agent: string;
  body: string;
  at: number;
  remote_port: number;
}

export interface Receiver {
  port: number;
  /** The URL of the endpoint `name` on this receiver. */
  url(name: string): string;
  /** Sets the secret (and the status it answers with) of the endpoint `name`. */
  configure(name: string, secret: string, status?: number): void;
  received(name?: string): Received[];
  /** Stops the process (kill -9 when `hard`), keeping its port and records for `start`. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections are accepted by the kernel and never answered. */
  pause(): void;
  /** Lets a paused process go on (SIGCONT). */
  resume(): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hj-webhooks-'));
  const recordFile = path.join(dir, 'received.ndjson');
  const secretsFile = path.join(dir, 'secrets.json');
  writeFileSync(recordFile, '');
  writeFileSync(secretsFile, '{}');
  let child: ChildProcess | undefined;
  let port = 0;
  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(process.execPath, [SCRIPT], {
        env: { ...process.env, PORT: String(port), RECORD_FILE: recordFile, SECRETS_FILE: secretsFile },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = proc;
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening (\d+)/.exec(out);
        if (match) {
          port = Number(match[1]);
          resolve();
        }
      });
      proc.on('exit', (code) => reject(new Error(`receiver exited (${code}) before listening`)));
    });
  const stop = async (hard = false) => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGCONT');
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await launch();
  return {
    get port() {
      return port;
    },
    url: (name) => `http://127.0.0.1:${port}/hook/${name}`,
    configure(name, secret, status = 200) {
      const all = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, unknown>;
      all[name] = { secret, status };
      writeFileSync(secretsFile, JSON.stringify(all));
    },
    received(name) {
      const lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
      const all = lines.map((line) => JSON.parse(line) as Received);
      return name === undefined ? all : all.filter((r) => r.name === name);
    },
    stop,
    start: launch,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A server for webhook tests: the receiver is on 127.0.0.1 over http, the worker polls often, and retries
 * are quick and few.
 */
export const WEBHOOK_TEST_ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_POLL_INTERVAL: '50ms',
  WEBHOOK_BACKOFF_BASE: '200ms',
  WEBHOOK_BACKOFF_MAX: '1s',
  WEBHOOK_MAX_ATTEMPTS: '3',
  WEBHOOK_TIMEOUT: '2s',
};
