// Preloaded into a server process (NODE_OPTIONS=--import): records the URL of every module the process
// loads, and writes them, one a line, to LOADED_MODULES_FILE when the process exits, followed by Node's own
// modules it loaded (`node:internal/deps/undici/undici`, …), which no hook sees.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const loaded = [];
registerHooks({
  load(url, context, next) {
    loaded.push(url);
    return next(url, context);
  },
});
process.on('exit', () => {
  const builtins = process.moduleLoadList
    .filter((entry) => entry.startsWith('NativeModule '))
    .map((entry) => `node:${entry.slice('NativeModule '.length)}`);
  writeFileSync(process.env.LOADED_MODULES_FILE, [...loaded, ...builtins].join('\n'));
});
