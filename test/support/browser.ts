// Headless Chromium (Debian's package, driven by playwright-core) for the tests where a real browser signs
// in through the hosted pages, and a small HTTP server standing in for the relying party's redirect URI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestUser } from './oidc.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * The reason a browser test cannot run here, for node:test's `skip` option, or false when it can. Like
 * env.ts's `unlessAvailable`: with TEST_REQUIRE_ALL=1 a missing Chromium fails the test instead.
 * TEST_BROWSER=off skips them on purpose: CI runs the Chromium suites once, in its PostgreSQL pass, since
 * what a browser sees does not depend on the database behind the server.
 */
export function unlessChromium(): string | false {
  if (process.env.TEST_BROWSER === 'off') return 'TEST_BROWSER=off (the Chromium suites run in another pass)';
  if (existsSync(CHROMIUM_PATH) || process.env.TEST_REQUIRE_ALL === '1') return false;
  return `needs ${CHROMIUM_PATH} (Debian's chromium package)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** One browser per test file, launched on first use. */
export function sharedBrowser(): { get(): Promise<Browser>; close(): Promise<void> } {
  let launched: Promise<Browser> | undefined;
  return {
    get: () => (launched ??= launchChromium()),
    close: async () => {
      if (launched) await (await launched).close();
    },
  };
}

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// --- the relying party's redirect URIs -------------------------------------------------------------------

export interface ReceivedCallback {
  method: string;
  url: URL;
  body: string;
  contentType: string;
}

export interface CallbackServer {
  origin: string;
  /** A fresh redirect URI on this server. */
  uri(label?: string): string;
  /** The last request received at `uri` (without its query), if any. */
  last(uri: string): ReceivedCallback | undefined;
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const received = new Map<string, ReceivedCallback>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      received.set(`${origin}${url.pathname}`, {
        method: req.method ?? 'GET',
        url,
        body: Buffer.concat(chunks).toString(),
        contentType: req.headers['content-type'] ?? '',
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Relying party</title><h1>Back at the app</h1>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let n = 0;
  return {
    origin,
    uri: (label = 'cb') => `${origin}/${label}/${n++}`,
    last: (uri) => received.get(uri),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- signing in through the hosted pages ---------------------------------------------------------------

export interface BrowserAuthOptions {
  consent?: 'allow' | 'deny';
  /**
   * Answers the second-step page (/mfa) when it shows: fills it in and submits it, as often as it takes
   * (another factor, send a code, a wrong code…). Without it, that page fails the walk.
   */
  secondStep?: (page: Page) => Promise<void>;
  /** Screenshot names (in test-results/screenshots/) for the login and consent pages when they show. */
  screenshots?: { login?: string; consent?: string };
  /** Called on each hosted page before it is filled in. */
  onPage?: (page: Page, kind: 'login' | 'consent') => Promise<void>;
}

/**
 * Opens `url` in `page` and goes through the hosted login (when shown) and consent (when shown) pages like
 * a person, until the browser arrives at `redirectUri`. Returns what the relying party received there: the
 * URL of a query-mode response, or a Request carrying a form_post response.
 */
export async function authorizeInBrowser(
  page: Page,
  url: URL,
  redirectUri: string,
  callbacks: CallbackServer,
  user: TestUser | null,
  options: BrowserAuthOptions = {},
): Promise<{ callback: URL | Request; pagesSeen: Array<'login' | 'mfa' | 'consent'> }> {
  const pagesSeen: Array<'login' | 'mfa' | 'consent'> = [];
  await page.goto(url.href);
  for (let step = 0; step < 6; step++) {
    await page.waitForLoadState('load');
    const here = new URL(page.url());
    if (`${here.origin}${here.pathname}` === redirectUri) {
      const got = callbacks.last(redirectUri);
      assert.ok(got, `the relying party received the response at ${redirectUri}`);
      if (got.method === 'POST') {
        return {
          callback: new Request(`${got.url.origin}${got.url.pathname}`, {
            method: 'POST',
            headers: { 'content-type': got.contentType },
            body: got.body,
          }),
          pagesSeen,
        };
      }
      return { callback: got.url, pagesSeen };
    }
    if ((await page.locator('input[name="password"]').count()) > 0) {
      assert.ok(user, `no login expected, but the login page showed at ${here.href}`);
      pagesSeen.push('login');
      await options.onPage?.(page, 'login');
      if (options.screenshots?.login) await screenshot(page, options.screenshots.login);
      await page.fill('input[name="email"]', user.email);
      await page.fill('input[name="password"]', user.password);
      user = null; // once: a second login page means it failed
      await page.click('form:has(input[name="password"]) button[type="submit"]');
      continue;
    }
    if ((await page.locator('input[name="mfa_token"]').count()) > 0) {
      assert.ok(options.secondStep, `the second-step page showed at ${here.href}, but no answer was planned`);
      pagesSeen.push('mfa');
      const answer = options.secondStep;
      options = { ...options, secondStep: undefined }; // once: the page again means the answer failed
      await answer(page);
      continue;
    }
    if ((await page.locator('button[name="decision"][value="allow"]').count()) > 0) {
      assert.ok(options.consent, `the consent page showed at ${here.href}, but no answer was planned`);
      pagesSeen.push('consent');
      await options.onPage?.(page, 'consent');
      if (options.screenshots?.consent) await screenshot(page, options.screenshots.consent);
      await page.click(`button[name="decision"][value="${options.consent}"]`);
      continue;
    }
    // The form_post page submits itself to the redirect URI.
    if ((await page.locator(`form[action="${redirectUri}"]`).count()) > 0) {
      await page.waitForURL((u) => `${u.origin}${u.pathname}` === redirectUri, { timeout: 5_000 });
      continue;
    }
    const text = (
      await page
        .locator('body')
        .innerText()
        .catch(() => '')
    ).slice(0, 500);
    assert.fail(`unexpected page at ${here.href}: ${text}`);
  }
  assert.fail(`did not reach ${redirectUri} from ${url.href}`);
}
