// A started server's heap, brought down to its resting size before it takes requests.
//
// Startup (loading ~650 modules, compiling route schemas, migrations) grows V8's young generation to its
// maximum (2 × 16 MiB) and leaves old-space pages half empty. V8's memory reducer gives that back on its own,
// but only some 8–40 s after the process goes idle, so a server that has just started sits ~40 MiB above
// what it needs (docs/benchmarks.md, "Idle memory"). One memory-reducing collection (the one V8 runs on a
// low-memory notification: several full collections that also shrink the young generation) a second after
// the server starts listening (serve.ts) brings it to its resting size then. It pauses the event loop once,
// for ~0.2 s, at a moment when a new server has at most its first health checks to answer.
//
// Node has no API for that notification; its `gc` function, which V8's `--expose-gc` installs in every
// context created after the flag is set, takes the same options. Node 20's V8 does not know the
// `last-resort` flavour and runs an ordinary full collection instead (nothing is shrunk, nothing breaks).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let gc: Gc | undefined;

/** Runs V8's memory-reducing full collection now (synchronously; ~0.2 s on a just-started server). */
export function settleHeap(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
