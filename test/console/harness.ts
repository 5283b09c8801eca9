// The console in real Chromium against a real server: the built app (dist/console, `npm run build`), the
// admin API on a fresh database, and helpers every screen's test uses (open a screen at a width, check
// accessibility with axe-core, save the screenshot docs/console.md shows).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { screenshot, sharedBrowser } from '../support/browser.js';
import { startOidcApp, type OidcTestApp } from '../support/oidc.js';

export const CONSOLE_DIST = path.resolve(import.meta.dirname, '../../dist/console');

/** Why the console's browser tests cannot run (for `skip`), or false. */
export function unlessConsoleBuilt(): string | false {
  return existsSync(path.join(CONSOLE_DIST, 'index.html'))
    ? false
    : 'needs the built console (npm run build)';
}

export interface ConsoleTest {
  t: OidcTestApp;
  /** `Authorization` header of a full admin API key, for arranging data through the API. */
  admin: Record<string, string>;
  browser: { get(): Promise<Browser>; close(): Promise<void> };
  /** A signed-in console page at `path` (under /admin) in a window `width` px wide. */
  open(path: string, options?: { width?: number }): Promise<Page>;
  /** The admin API, as the tests arrange and check data. */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

const TOKENS = 'hellojohn.console.tokens';

export async function startConsoleTest(env: Record<string, string> = {}): Promise<ConsoleTest> {
  const t = await startOidcApp({ RATE_LIMIT_PER_IP: '100000', ...env });
  const key = (await t.app.services.admins.create('console-admin@example.com')).token;
  const admin = { authorization: `Bearer ${key}` };
  const browser = sharedBrowser();
  const contexts: BrowserContext[] = [];

  const signedInContext = async (width: number): Promise<BrowserContext> => {
    const context = await (await browser.get()).newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    // Signed in as the console keeps its tokens (see console/src/auth.ts); an admin API key is accepted
    // as a bearer token by the admin API, so every screen runs against the real API.
    await context.addInitScript(([name, value]) => sessionStorage.setItem(name, value), [
      TOKENS,
      JSON.stringify({ accessToken: key, refreshToken: null, idToken: null, refreshAfter: 9e15 }),
    ] as const);
    await serveConsole(context, t);
    return context;
  };

  return {
    t,
    admin,
    browser,
    async open(at, { width = 1280 } = {}) {
      const page = await (await signedInContext(width)).newPage();
      await page.goto(`${t.base}/admin${at}`);
      return page;
    },
    async call(method, at, body) {
      const response = await fetch(`${t.base}${at}`, {
        method,
        headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => {});
      await browser.close();
      await t.close();
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Until the server serves /admin itself, the browser is handed the built files directly.
async function serveConsole(context: BrowserContext, t: OidcTestApp): Promise<void> {
  await context.route(`${t.base}/admin/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/admin/config.json')
      return route.fulfill({
        json: {
          issuer: t.issuer('admin'),
          client_id: 'hellojohn-console',
          redirect_uri: `${t.base}/admin/callback`,
          post_logout_redirect_uri: `${t.base}/admin/`,
          admin_exists: true,
        },
      });
    const file = url.pathname.startsWith('/admin/assets/')
      ? path.join(CONSOLE_DIST, url.pathname.slice('/admin/'.length))
      : path.join(CONSOLE_DIST, 'index.html');
    if (!file.startsWith(CONSOLE_DIST) || !existsSync(file)) return route.fulfill({ status: 404 });
    return route.fulfill({
      body: readFileSync(file),
      contentType: TYPES[path.extname(file)] ?? 'application/octet-stream',
    });
  });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now: none expected. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    interface Violation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[] }[];
    }
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `${what}: accessibility violations`);
}

/** Saves the screenshot as test-results/screenshots/console-<name>-<width>.png (docs/console.md uses them). */
export async function consoleScreenshot(page: Page, name: string): Promise<string> {
  const width = page.viewportSize()?.width ?? 1280;
  return screenshot(page, `console-${name}-${width}`);
}

/** Waits until the locator matches exactly `count` elements (a list re-rendered after a search). */
export async function waitForCount(locator: Locator, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await locator.count();
    if (now === count) return;
    if (Date.now() > deadline) assert.fail(`expected ${count} elements, found ${now}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
