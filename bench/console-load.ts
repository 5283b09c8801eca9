// `npx tsx bench/console-load.ts`: how long the admin console takes to become usable, on the embedded
// database, as `npm start` runs it: a fresh data directory, the built package's server (node
// bin/hellojohn.js serve), the first admin made on the first-run page, and Debian's Chromium with an
// empty cache.
// Prints the first-run page's and the signed-in Overview's time to interactive (navigation start to the
// screen's heading on screen, every script loaded), and what the browser downloaded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hellojohn-console-load-'));
const port = 18_000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  DATABASE_URL: '',
  DATA_DIR: dataDir,
  PORT: String(port),
  MANAGEMENT_PORT: String(port + 1),
  BASE_URL: base,
  LOG_LEVEL: 'warn',
};
delete (env as Record<string, string | undefined>).DATABASE_URL;
const server = spawn(process.execPath, [path.join(root, 'bin/hellojohn.js'), 'serve'], {
  env,
  stdio: 'inherit',
});
const email = 'operator@example.com';
const password = 'Console-Load-2026-xyz!';

try {
  for (let i = 0; ; i++) {
    const ready = await fetch(`${base}/admin/config.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 600) throw new Error('the server did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const measure = async (at: string, heading: string, signIn = false) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    let bytes = 0;
    page.on('response', (r) => {
      const length = Number(r.headers()['content-length'] ?? 0);
      if (new URL(r.url()).pathname.startsWith('/admin/')) bytes += length;
    });
    if (signIn) {
      await page.goto(`${base}/admin/`);
      await page.waitForURL((url) => url.pathname.startsWith('/t/admin/'));
      await page.fill('input[name="email"]', email);
      await page.fill('input[name="password"]', password);
      await page.click('form:has(input[name="password"]) button[type="submit"]');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // Measured below: a new window of the signed-in console (its tokens kept), cache emptied.
      const tokens = await page.evaluate(() => sessionStorage.getItem('hellojohn.console.tokens'));
      await context.close();
      const next = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await next.addInitScript((value) => sessionStorage.setItem('hellojohn.console.tokens', value), tokens!);
      const fresh = await next.newPage();
      bytes = 0;
      fresh.on('response', (r) => {
        if (new URL(r.url()).pathname.startsWith('/admin/'))
          bytes += Number(r.headers()['content-length'] ?? 0);
      });
      const started = Date.now();
      await fresh.goto(`${base}/admin${at}`);
      await fresh.getByRole('heading', { name: heading }).waitFor();
      await fresh.waitForLoadState('networkidle');
      const interactive = Date.now() - started;
      await next.close();
      return { interactive, bytes };
    }
    const started = Date.now();
    await page.goto(`${base}/admin${at}`);
    await page.getByRole('heading', { name: heading }).waitFor();
    const interactive = Date.now() - started;
    await context.close();
    return { interactive, bytes };
  };
  const firstRun = await measure('/', 'Create the first administrator');
  // The first-run page's form, as a person on this machine uses it (the CLI cannot open the embedded
  // database while the server holds it).
  const made = await fetch(`${base}/v2/admin/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (made.status !== 201)
    throw new Error(`the first admin was not made: ${made.status} ${await made.text()}`);
  const overview = await measure('/t/default', 'Overview', true);
  await browser.close();
  console.log(
    `first-run page: interactive in ${firstRun.interactive} ms (${(firstRun.bytes / 1024).toFixed(0)} KiB from /admin)`,
  );
  console.log(
    `signed-in Overview: interactive in ${overview.interactive} ms, data loaded (${(overview.bytes / 1024).toFixed(0)} KiB from /admin)`,
  );
} finally {
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
