// What `hellojohn serve` prints: readable lines on a terminal, JSON lines otherwise (LOG_FORMAT forces
// either). The terminal is a real pseudo-terminal from util-linux `script`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { STRONG_PASSWORD } from './support/app.js';
import { BIN, childEnv, startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';
import { freePort } from './support/net.js';

const SCRIPT = '/usr/bin/script';
// Colour codes (ESC [ … m) that pino-pretty writes to a terminal.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

interface TerminalServer {
  output(): string;
  stop(): Promise<void>;
}

/** `hellojohn serve` with a pseudo-terminal as stdout; resolves once `ready` matches the output. */
async function serveOnTerminal(env: Record<string, string>, ready: RegExp): Promise<TerminalServer> {
  const command = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} serve`;
  const child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], {
    env: childEnv({ HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }),
    cwd: path.dirname(BIN) + '/..',
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const text = () => output.replace(ANSI, '').replace(/\r/g, '');
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  };
  for (let i = 0; i < 600 && !ready.test(text()); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!ready.test(text())) {
    await stop();
    throw new Error(`no ${ready} in the output:\n${text()}`);
  }
  return { output: text, stop };
}

test(
  'on a terminal the server prints readable lines, and a development email as one line with its link',
  { skip: existsSync(SCRIPT) ? false : 'util-linux script is not installed' },
  async () => {
    const db = await createTestDatabase();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await serveOnTerminal(
      { ...db.env, APP_ENV: 'dev', PORT: String(port), BASE_URL: base },
      /INFO.*hellojohn listening/,
    );
    try {
      const listening = server
        .output()
        .split('\n')
        .find((l) => /hellojohn listening/.test(l))!;
      assert.match(listening, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hellojohn listening on 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(server.output(), /^\{"level"/m, 'no JSON lines on a terminal');

      const email = 'pretty.logs@example.com';
      const registered = await fetch(`${base}/v2/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: STRONG_PASSWORD }),
      });
      assert.equal(registered.status, 201);
      for (let i = 0; i < 100 && !/email not sent/.test(server.output()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const line = server
        .output()
        .split('\n')
        .find((l) => /email not sent/.test(l));
      assert.ok(line, server.output());
      // The whole link, on the message line, ending the line: a terminal makes it clickable.
      const link = /(http:\/\/127\.0\.0\.1:\d+\/v2\/auth\/verify-email\?token=[\w-]{20,})$/.exec(line)?.[1];
      assert.ok(link, `the link ends the line: ${line}`);
      assert.match(
        line,
        /INFO: email not sent \(development, no SMTP configured\): verify_email to pretty\.logs@example\.com: /,
      );
      assert.equal((await fetch(link)).status, 200, 'the logged link works');
    } finally {
      await server.stop();
      await db.drop();
    }
  },
);

test(
  'LOG_FORMAT=json keeps JSON lines on a terminal',
  { skip: existsSync(SCRIPT) ? false : 'util-linux script is not installed' },
  async () => {
    const db = await createTestDatabase();
    const server = await serveOnTerminal({ ...db.env, PORT: '0', LOG_FORMAT: 'json' }, /hellojohn listening/);
    try {
      const line = server
        .output()
        .split('\n')
        .find((l) => /hellojohn listening/.test(l))!;
      assert.equal((JSON.parse(line) as { level: number }).level, 30);
    } finally {
      await server.stop();
      await db.drop();
    }
  },
);

test('without a terminal every line is JSON; LOG_FORMAT=pretty forces readable lines', async () => {
  const db = await createTestDatabase();
  try {
    const server = await startServerProcess({ ...db.env });
    await server.stop();
    const lines = server.logs().trim().split('\n');
    assert.ok(lines.length >= 2);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: number; service: string };
      assert.equal(entry.service, 'hellojohn');
    }

    const port = await freePort();
    const pretty = spawn(process.execPath, [BIN, 'serve'], {
      env: childEnv({ ...db.env, HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'pretty' }),
    });
    let output = '';
    pretty.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 600 && !/hellojohn listening/.test(output); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    pretty.kill('SIGTERM');
    await new Promise((resolve) => pretty.once('close', resolve));
    assert.match(output, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hellojohn listening on/m);
    assert.doesNotMatch(output, ANSI, 'no colours when stdout is not a terminal');
  } finally {
    await db.drop();
  }
});
