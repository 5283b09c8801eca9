#!/usr/bin/env node
import('../dist/cli/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('hellojohn: the build is missing; run `npm run build` (npm ci does it for you)\n');
    process.exit(1);
  }
  throw error;
});
