// Runs the real `hellojohn` binary (built by `npm test`) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../bin/hellojohn.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The child's environment: ours without any database or config variables, plus `env`. */
/**
 * For node:test's `skip`: the reason a feature's command suite does not run in this pass, or false. Those
 * suites drive a resource's commands (clients, users, roles, tenants…) through the binary, each command a
 * new process, and what they test (arguments, output, exit codes, the services behind them) does not
 * depend on the database; CI runs them once, in its PostgreSQL pass, with TEST_CLI=core elsewhere. The
 * commands whose work is the database itself (migrate, backup, db check, the PGlite lock) run in every pass.
 */
export function unlessFeatureCommands(): string | false {
  return process.env.TEST_CLI === 'core' ? 'TEST_CLI=core (the command suites run in another pass)' : false;
}

export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      !/^(DATABASE_|DATA_DIR|APP_ENV|PORT|HOST|BASE_URL|MIGRATE_ON_START|ALLOW_NEWER_SCHEMA|REDIS_URL|LOG_|PGSSL|MANAGEMENT_|METRICS_)/.test(
        key,
      )
    ) {
      clean[key] = value;
    }
  }
  // Servers run side by side in tests: each management listener takes a free port unless told otherwise.
  return { ...clean, MANAGEMENT_PORT: '0', ...env };
}

/** `input`, when given, is written to the command's standard input (a pipe, not a terminal), then closed. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: childEnv(env),
      cwd: path.dirname(BIN) + '/..',
    });
    if (input !== undefined) child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hellojohn ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The management listener (/metrics, /health, /ready) on MANAGEMENT_HOST, default 127.0.0.1. */
  managementUrl: string;
  logs: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `hellojohn serve` (or `args`) on a free port and resolves once it listens. */
export function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
  args: string[] = ['serve'],
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // The listening line is logged at info: the harness needs it to learn the port.
      // (A caller may still lower the threshold, to debug, for more lines.)
      env: childEnv({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env }),
      cwd: path.dirname(BIN) + '/..',
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"port":(\d+),"management_port":(\d+)[^\n]*hellojohn listening/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: `http://127.0.0.1:${match[1]}`,
          managementUrl: `http://127.0.0.1:${match[2]}`,
          logs: () => output,
          exited,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code} before listening:\n${output}`));
    });
  });
}
