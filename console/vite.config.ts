// The console is built into dist/console and served by the server at /admin (src/modules/console).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    // One module script, no inline script: the page's CSP has no 'unsafe-inline' for scripts.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // `npm run console:dev` against a server on :8080.
    proxy: {
      '/v2': 'http://127.0.0.1:8080',
      '/t': 'http://127.0.0.1:8080',
      '/admin/config.json': 'http://127.0.0.1:8080',
    },
  },
});
