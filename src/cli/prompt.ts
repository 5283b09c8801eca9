// A secret a command needs (a password): typed on the terminal without echo, asked twice; or, when
// standard input is not a terminal (`echo pw | hellojohn …`, a file, a pipe from a secret store), its first
// line. Never taken from the command line, where other users of the machine and the shell history see it.
import { readFileSync } from 'node:fs';
import { CliError } from './context.js';

export async function readSecret(label: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
    if (!line) throw new CliError(`no ${label} was read from standard input`, 2);
    return line;
  }
  const first = await typed(`${label[0]!.toUpperCase()}${label.slice(1)}: `);
  if (!first) throw new CliError(`no ${label} was typed`, 2);
  const again = await typed(`Repeat the ${label}: `);
  if (again !== first) throw new CliError(`the two ${label}s differ`, 2);
  return first;
}

/** One line typed on the terminal, not echoed (raw mode: backspace edits, Ctrl-C cancels). */
function typed(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (result: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(() => resolve(value));
        if (ch === '\u0003') return finish(() => reject(new CliError('cancelled', 130)));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
