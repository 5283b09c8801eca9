// Starts the real SMTP test server (smtp-server-process.mjs) as a child process and collects what it receives.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const SCRIPT = path.resolve(import.meta.dirname, 'smtp-server-process.mjs');

export interface ReceivedMail {
  /** The address of the From header, e.g. `no-reply@example.test`. */
  from: string;
  /** The display name of the From header (decoded), or ''. */
  fromName: string;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  /** The To header as text. */
  headerTo: string;
  subject: string;
  text: string;
  html: string;
  /** The user name the client logged in with, or null without AUTH. */
  authUser: string | null;
}

export interface SmtpServerOptions {
  /** Refuse the first N messages with a temporary `451` error. */
  rejectFirst?: number;
  /** How long to wait for the server to listen. */
  startTimeoutMs?: number;
  /** The only login accepted (a login is then required). */
  credentials?: { user: string; password: string };
}

export interface TestSmtpServer {
  port: number;
  /** Messages accepted so far, oldest first. */
  messages(): ReceivedMail[];
  /** How many messages were refused with 451 so far (as reported by the server process). */
  rejectedCount(): number;
  /** Resolves once the server reports at least `count` refused messages. */
  waitForRejected(count: number, timeoutMs?: number): Promise<void>;
  /** The first received message (already received or arriving later) for which `predicate` is true. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Everything the process wrote on stderr. */
  stderr(): string;
  stop(): Promise<void>;
}

export function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const child = spawn(process.execPath, [SCRIPT], {
    env: {
      ...process.env,
      SMTP_TEST_REJECT_FIRST: String(options.rejectFirst ?? 0),
      ...(options.credentials
        ? { SMTP_TEST_USER: options.credentials.user, SMTP_TEST_PASSWORD: options.credentials.password }
        : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const received: ReceivedMail[] = [];
  const waiters = new Set<{
    predicate: (mail: ReceivedMail) => boolean;
    resolve: (mail: ReceivedMail) => void;
  }>();
  const rejectionWaiters = new Set<{ count: number; resolve: () => void }>();
  let rejected = 0;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`SMTP test server did not start within ${startTimeoutMs} ms:\n${stderr}`));
    }, startTimeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`SMTP test server exited before listening:\n${stderr}`));
    });

    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        stderr += `unexpected output: ${line}\n`;
        return;
      }
      if (typeof event.listening === 'number') {
        clearTimeout(timer);
        resolve(server(event.listening));
      } else if (event.rejected === true) {
        rejected++;
        for (const waiter of rejectionWaiters) {
          if (rejected >= waiter.count) {
            rejectionWaiters.delete(waiter);
            waiter.resolve();
          }
        }
      } else {
        const mail = event as unknown as ReceivedMail;
        received.push(mail);
        for (const waiter of waiters) {
          if (waiter.predicate(mail)) {
            waiters.delete(waiter);
            waiter.resolve(mail);
          }
        }
      }
    });
  });

  function server(port: number): TestSmtpServer {
    return {
      port,
      messages: () => [...received],
      rejectedCount: () => rejected,
      stderr: () => stderr,
      waitFor(predicate, timeoutMs = 10_000) {
        const found = received.find(predicate);
        if (found) return Promise.resolve(found);
        return new Promise((resolve, reject) => {
          const waiter = {
            predicate,
            resolve: (mail: ReceivedMail) => {
              clearTimeout(timer);
              resolve(mail);
            },
          };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no matching email within ${timeoutMs} ms (received ${received.length})`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      },
      waitForRejected(count, timeoutMs = 10_000) {
        if (rejected >= count) return Promise.resolve();
        return new Promise((resolve, reject) => {
          const waiter = {
            count,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          };
          const timer = setTimeout(() => {
            rejectionWaiters.delete(waiter);
            reject(new Error(`fewer than ${count} rejected emails within ${timeoutMs} ms (got ${rejected})`));
          }, timeoutMs);
          rejectionWaiters.add(waiter);
        });
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  }
}

/** The link to `path` in a mail, checked to be the same in its HTML part. */
export function linkIn(mail: ReceivedMail, path: string): URL {
  const match = new RegExp(`https?://[^\\s"<>]+${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9_-]+`).exec(
    mail.text,
  );
  assert.ok(match, `a ${path} link in: ${mail.text}`);
  assert.ok(mail.html.includes(match[0].replace(/&/g, '&amp;')), 'the same link is in the HTML part');
  return new URL(match[0]);
}

/** The server settings that send mail to this SMTP server. */
export const smtpEnv = (smtp: TestSmtpServer) => ({
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: String(smtp.port),
  SMTP_FROM: 'HelloJohn <no-reply@example.com>',
});

/** The one-time code a mail carries: the line of digits alone. */
export function codeInMail(mail: ReceivedMail): string {
  const code = /^(\d{6,10})$/m.exec(mail.text)?.[1];
  assert.ok(code, 'the mail carries a code');
  return code;
}

/** The next mail to `email` with a matching subject that was not read yet. */
export type MailReader = (email: string, subject: RegExp) => Promise<ReceivedMail>;

/** Reads mails one by one, as a user reading their inbox. */
export function mailReader(smtp: TestSmtpServer): MailReader {
  const seen = new Set<ReceivedMail>();
  return async (email, subject) => {
    const mail = await smtp.waitFor((m) => m.to.includes(email) && subject.test(m.subject) && !seen.has(m));
    seen.add(mail);
    return mail;
  };
}
