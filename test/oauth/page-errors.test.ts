// Error pages on our domain say only what we wrote: a fixed message per error (src/http/views/error-messages.ts)
// and the request id; the detail (which parameter, which rule) goes to the log under that request id. A
// crafted parameter name or value must never become a sentence on our pages.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { migrate } from '../../src/db/migrator.js';
import { migrations } from '../../src/composition.js';
import { openDatabase } from '../../src/db/open.js';
import { FAST_ARGON2 } from '../support/app.js';
import { createTestDatabase } from '../support/db.js';
import { freePort } from '../support/net.js';
import { screenshot, sharedBrowser, unlessChromium } from '../support/browser.js';
import { HttpAgent, expectPage, isLoginPage } from '../support/oidc.js';

/** A sentence an attacker would like to see on our domain, and the words that must not show. */
const SENTENCE = 'Your account is locked call 555 0100 now';
const WORDS = /locked|555|call(?!back)/i;

interface LogLine {
  level: number;
  msg: string;
  request_id?: string;
  [key: string]: unknown;
}

let base = '';
const logs: LogLine[] = [];
let close: () => Promise<void> = async () => {};

before(async () => {
  const testDb = await createTestDatabase();
  const port = await freePort();
  const config = testDb.config({ ...FAST_ARGON2, BASE_URL: `http://127.0.0.1:${port}` });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const db = await openDatabase(config, logger);
  await migrate(db, migrations, { appVersion: 'test', allowNewerSchema: false });
  const app = await buildApp(config, { db, logger, sweeper: false });
  await app.listen({ host: '127.0.0.1', port });
  base = `http://127.0.0.1:${port}`;
  const tenant = await app.services.tenants.resolve('default');
  const created = await app.services.clients.create(tenant, {
    name: 'Error page app',
    type: 'public',
    tokenEndpointAuthMethod: 'none',
    redirectUris: ['http://127.0.0.1:9/cb'],
    postLogoutRedirectUris: [],
  });
  clientId = created.client.clientId;
  close = async () => {
    await app.close();
    await db.close();
    await testDb.drop();
  };
});
after(() => close());

let clientId = '';

async function page(path: string, init: RequestInit = {}) {
  const response = await fetch(`${base}${path}`, {
    redirect: 'manual',
    ...init,
    headers: { accept: 'text/html', ...(init.headers as Record<string, string> | undefined) },
  });
  return { response, html: await response.text(), requestId: response.headers.get('x-request-id') ?? '' };
}

/** The visible text of a page (tags and the style sheet removed, entities decoded enough for the check). */
function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function assertFixedErrorPage(got: Awaited<ReturnType<typeof page>>, what: string, status = 400): void {
  assert.equal(got.response.status, status, `${what}: status`);
  assert.match(got.response.headers.get('content-type') ?? '', /^text\/html/, `${what}: an HTML page`);
  // The request id is random (it may contain "555"): it is checked on its own below, not for the words.
  const withoutId = got.html.replaceAll(got.requestId, '');
  assert.doesNotMatch(withoutId, WORDS, `${what}: nothing of the request on the page:\n${textOf(got.html)}`);
  assert.ok(got.requestId && got.html.includes(got.requestId), `${what}: the request id is shown`);
  assert.match(got.response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
}

/** The log line that explains an error page: same request id, at info or warn, with the detail. */
function detailLogged(requestId: string, detail: RegExp): LogLine {
  const line = logs.find((l) => l.request_id === requestId && l.msg === 'error page');
  assert.ok(line, `an "error page" log line for ${requestId}`);
  assert.ok(line.level === 30 || line.level === 40, `logged at info or warn (level ${line.level})`);
  assert.match(String(line.detail), detail, 'the detail is in the log');
  return line;
}

describe('hosted error pages show fixed text', () => {
  test('a repeated parameter named with a sentence: the page does not repeat it, the log does', async () => {
    const name = SENTENCE.replace(/ /g, '_');
    const q = `client_id=${clientId}&${name}=1&${name}=2`;
    const got = await page(`/oauth2/authorize?${q}`);
    assertFixedErrorPage(got, 'repeated parameter');
    const line = detailLogged(got.requestId, /locked_call_555/);
    assert.equal(line.error, 'invalid_request');
  });

  test('crafted values of client_id, redirect_uri, prompt and scope are not echoed', async () => {
    const queries: Record<string, string>[] = [
      { client_id: SENTENCE },
      { client_id: clientId, redirect_uri: `https://evil.example/${SENTENCE}` },
      { client_id: clientId, redirect_uri: SENTENCE },
      { client_id: 'x'.repeat(300) + SENTENCE },
      { client_id: clientId, response_type: SENTENCE },
      { client_id: clientId, prompt: SENTENCE, scope: SENTENCE },
    ];
    for (const params of queries) {
      const got = await page(`/oauth2/authorize?${new URLSearchParams(params).toString()}`);
      // Some of these can be answered at the (registered) redirect URI; those that cannot are pages.
      if (got.response.status === 303) continue;
      assertFixedErrorPage(got, JSON.stringify(params).slice(0, 60));
    }
  });

  test('an invalid sign-out request does not echo its parameters', async () => {
    const got = await page(
      `/oauth2/logout?post_logout_redirect_uri=${encodeURIComponent(`https://evil.example/${SENTENCE}`)}`,
    );
    assertFixedErrorPage(got, 'logout');
    detailLogged(got.requestId, /post_logout_redirect_uri/);
  });

  test('a malformed request to a hosted page is an HTML page, not JSON that names the parameter', async () => {
    for (const path of [
      `/login?interaction=${encodeURIComponent(SENTENCE.repeat(3))}`,
      `/consent?interaction=${encodeURIComponent(SENTENCE.repeat(3))}`,
      `/register?interaction=${encodeURIComponent(SENTENCE.repeat(3))}`,
    ]) {
      const got = await page(path);
      assertFixedErrorPage(got, path.slice(0, 30));
      detailLogged(got.requestId, /interaction/);
    }
    // A form post missing its fields, with a crafted field name.
    const post = await page('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${encodeURIComponent(SENTENCE)}=1`,
    });
    assertFixedErrorPage(post, 'login post without fields');
  });

  test('an unknown tenant or path never puts the path on the page', async () => {
    const slug = SENTENCE.toLowerCase().replace(/ /g, '-');
    const got = await page(`/t/${slug}/login`);
    assertFixedErrorPage(got, 'unknown tenant', 404);
    // A path no route knows: the JSON 404 names neither the path nor the method.
    const json = await fetch(`${base}/${encodeURIComponent(SENTENCE)}`);
    assert.equal(json.status, 404);
    assert.doesNotMatch(await json.text(), WORDS);
  });
});

describe('other pages that show request text', () => {
  test('a login_hint that is not an email address is not put into the login form', async () => {
    const agent = new HttpAgent();
    const authorize = (hint: string) =>
      `${base}/oauth2/authorize?${new URLSearchParams({
        client_id: clientId,
        redirect_uri: 'http://127.0.0.1:9/cb',
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
        login_hint: hint,
      }).toString()}`;
    const crafted = expectPage(await agent.walk(authorize(SENTENCE)), 'the login page', isLoginPage);
    assert.doesNotMatch(crafted.html, WORDS, 'the crafted hint is not shown');
    // An address is still pre-filled (OIDC login_hint).
    const email = expectPage(await agent.walk(authorize('ann@example.com')), 'the login page', isLoginPage);
    assert.match(email.html, /value="ann@example\.com"/);
  });
});

describe('error page in Chromium', { skip: unlessChromium() }, () => {
  const browser = sharedBrowser();
  after(() => browser.close());

  test('screenshots of the error page at 390 and 1280 px', async () => {
    const name = SENTENCE.replace(/ /g, '_');
    for (const width of [390, 1280]) {
      const context = await (await browser.get()).newContext({ viewport: { width, height: 800 } });
      try {
        const p = await context.newPage();
        await p.goto(`${base}/oauth2/authorize?client_id=${clientId}&${name}=1&${name}=2`);
        const text = await p.locator('body').innerText();
        // The request id is random and may contain "555": drop it before looking for the words.
        const requestId = /Request ID: (\S+)/.exec(text)?.[1];
        assert.ok(requestId, 'the request id is shown');
        assert.doesNotMatch(text.replaceAll(requestId, ''), WORDS);
        await screenshot(p, `error-page-${width}`);
      } finally {
        await context.close();
      }
    }
  });
});
