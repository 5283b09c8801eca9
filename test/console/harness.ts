// The console in real Chromium against a real server: the built app (dist/console, `npm run build`) served
// at /admin, a console admin signed in through the hosted login of the operators' tenant, the admin API on
// a fresh database, and helpers every screen's test uses (open a screen at a width, check accessibility
// with axe-core, save the screenshot docs/console.md shows).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { screenshot, sharedBrowser } from '../support/browser.js';
import type { OperatorAccounts } from '../../src/kernel/module.js';
import { startOidcApp, type OidcTestApp } from '../support/oidc.js';

export const CONSOLE_DIST = path.resolve(import.meta.dirname, '../../dist/console');

/** The console admin every console test signs in as (the operators' tenant, the admin role). */
export const OPERATOR = { email: 'operator@example.com', password: 'Console-Sign-In-2026-xyz!' };

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
  /** A browser context `width` px wide whose pages are signed in to the console as OPERATOR. */
  signedInContext(width?: number): Promise<BrowserContext>;
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

/** The module's OperatorAccounts (creates console admins), from the running app. */
export function operatorAccounts(t: OidcTestApp): OperatorAccounts {
  const found = t.app.services.modules.find(({ parts }) => parts.operatorAccounts)?.parts.operatorAccounts;
  assert.ok(found, 'the console module is part of the build');
  return found;
}

/**
 * Signs in to the console as a person does: /admin sends the browser to the hosted login of the
 * operators' tenant, the form is filled in, and the console finishes the code flow on /admin/callback.
 * Leaves the page on the console's first screen.
 */
export async function signInThroughConsole(
  page: Page,
  base: string,
  who: { email: string; password: string } = OPERATOR,
): Promise<void> {
  await page.goto(`${base}/admin/`);
  await page.waitForURL((url) => url.pathname.startsWith('/t/admin/'));
  await page.fill('input[name="email"]', who.email);
  await page.fill('input[name="password"]', who.password);
  await page.click('form:has(input[name="password"]) button[type="submit"]');
  await page.waitForURL((url) => /^\/admin(\/|$)/.test(url.pathname) && url.pathname !== '/admin/callback');
}

export async function startConsoleTest(
  env: Record<string, string> = {},
  options: { workers?: boolean } = {},
): Promise<ConsoleTest> {
  const t = await startOidcApp({ RATE_LIMIT_PER_IP: '100000', ...env }, { workers: options.workers });
  const key = (await t.app.services.admins.create('console-admin@example.com')).token;
  const admin = { authorization: `Bearer ${key}` };
  await operatorAccounts(t).create(OPERATOR.email, OPERATOR.password);
  const browser = sharedBrowser();
  const contexts: BrowserContext[] = [];
  const newContext = async (width: number) => {
    const context = await (await browser.get()).newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    return context;
  };

  // One real sign-in per file; every later window starts with the tokens it left (the console keeps
  // them in sessionStorage, per window), as a person opening the console in another tab would sign in.
  let session: Promise<string> | undefined;
  const signedInSession = () =>
    (session ??= (async () => {
      const context = await newContext(1280);
      const page = await context.newPage();
      await signInThroughConsole(page, t.base);
      const tokens = await page.evaluate((name) => sessionStorage.getItem(name), TOKENS);
      assert.ok(tokens, 'the console kept its tokens after signing in');
      await context.close();
      return tokens;
    })());

  const signedInContext = async (width = 1280) => {
    const tokens = await signedInSession();
    const context = await newContext(width);
    await context.addInitScript(([name, value]) => sessionStorage.setItem(name, value), [
      TOKENS,
      tokens,
    ] as const);
    return context;
  };

  // Signed in before the test arranges anything: the first sign-in writes audit events of its own.
  await signedInSession();

  return {
    t,
    admin,
    browser,
    signedInContext,
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

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now: none expected. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  // A dialog fading in is translucent until its transition ends, and axe would judge its colours mid-way:
  // wait for every finite animation or transition to finish (a spinner's endless one is not waited for).
  await page.waitForFunction(
    () => {
      interface Running {
        playState: string;
        effect: { getComputedTiming(): { endTime?: number | string } } | null;
      }
      const { document } = globalThis as unknown as { document: { getAnimations(): Running[] } };
      return document
        .getAnimations()
        .every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().endTime === Infinity);
    },
    undefined,
    { timeout: 10_000 },
  );
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
    interface Violation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[]; html: string }[];
    }
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)}`).join(', ')}`,
      );
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
