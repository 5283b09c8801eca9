#!/usr/bin/env node
// CommonJS on purpose (bin/package.json): libuv sizes its thread pool from UV_THREADPOOL_SIZE the first
// time the pool is used, and loading an ES module entry point already uses it. HelloJohn's default, one
// thread per core but one (at most Node's own 4: Node 20 counts the host's cores, not a container's CPU
// quota), must be in place before that. Password hashing has threads of its own. See docs/operations.md.
const { availableParallelism } = require('node:os');

if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(Math.min(4, Math.max(1, availableParallelism() - 1)));
}

import('../dist/cli/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('hellojohn: the build is missing; run `npm run build` (npm ci does it for you)\n');
    process.exit(1);
  }
  throw error;
});
