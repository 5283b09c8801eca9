// The OpenAPI document: what the server serves is the committed docs/openapi.json, it is valid OpenAPI 3.1
// (checked by an independent validator), it lists exactly the routes the server answers, and /docs renders
// it in Chromium from this server alone.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CONSOLE_SCHEMA_FILE, OPENAPI_FILE, consoleSchema } from '../../scripts/openapi.js';
import { LazySerializers } from '../../src/http/lazy-schemas.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { SCREENSHOT_DIR, sharedBrowser, unlessChromium } from '../support/browser.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every method and path of Fastify's route table, from printRoutes' tree (`/t/:tenant` as `/t/{tenant}`). */
function routeTable(tree: string): Set<string> {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[└├]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    if (!match[3]) continue;
    // A wildcard route (`/admin/*`, printed as `/admin` then `*`) is documented as a path parameter named
    // `*`, as @fastify/swagger writes it; a lone `*` is CORS's OPTIONS route.
    const joined = stack.join('').replace(/:([A-Za-z_]+)/g, '{$1}');
    const path = joined === '*' ? joined : joined.replace(/\/?\*$/, '/{*}');
    for (const method of match[3].split(', ')) routes.add(`${method} ${path}`);
  }
  return routes;
}

function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }): Set<string> {
  const operations = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) {
      if (METHODS.includes(method)) operations.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  const serializers = new LazySerializers();
  let served: { paths: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const browser = sharedBrowser();

  before(async () => {
    t = await startTestApp({}, { serializers });
    const response = await fetch(`${t.base}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    served = (await response.json()) as typeof served;
  });
  after(async () => {
    await browser.close();
    await t?.close();
  });

  test('the served document is the committed docs/openapi.json', () => {
    const committed: unknown = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
    assert.ok(
      isDeepStrictEqual(served, committed),
      'docs/openapi.json differs from the document the server generates: run `npm run openapi` and commit it',
    );
  });

  test("the console's typed API client is generated from the served document", async () => {
    assert.ok(
      (await consoleSchema(served)) === readFileSync(CONSOLE_SCHEMA_FILE, 'utf8'),
      'console/src/api/schema.d.ts differs from the types of the served document: run `npm run openapi` and commit it',
    );
  });

  test('it is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(served));
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, `invalid OpenAPI: ${JSON.stringify(result.errors, null, 2)}`);
  });

  test('it lists every route the server answers, and nothing else', () => {
    // HEAD twins of GET routes are Fastify's own and are left out of the document (src/http/openapi.ts),
    // as is @fastify/cors's `OPTIONS *` (preflights on every path, for CORS_ORIGINS and tenants' origins).
    const answered = new Set(
      [...routeTable(t.app.printRoutes({ commonPrefix: false }))].filter(
        (r) => !r.startsWith('HEAD ') && r !== 'OPTIONS *',
      ),
    );
    const documented = documentedOperations(served);
    assert.ok(answered.size > 100, `the route table was read (${answered.size} routes)`);
    assert.deepEqual(
      [...answered].filter((r) => !documented.has(r)).sort(),
      [],
      'routes missing from the document',
    );
    assert.deepEqual(
      [...documented].filter((r) => !answered.has(r)).sort(),
      [],
      'documented routes the server does not answer',
    );
    // Both the default tenant's and the /t/{tenant} variant of a tenant-scoped route.
    assert.ok(documented.has('POST /v2/auth/login') && documented.has('POST /t/{tenant}/v2/auth/login'));
  });

  test("every route's response schemas compile (the server compiles each at its first use)", () => {
    // One per status code (and content type) of every route: hundreds, whatever the requests so far.
    assert.ok(serializers.compileAll() > 300);
    assert.equal(serializers.compileAll(), 0, 'each is compiled once');
  });

  test('every operation has a summary, a tag and its error answers', () => {
    const tags = new Set((served.tags as Array<{ name: string }>).map((tag) => tag.name));
    for (const [path, item] of Object.entries(served.paths)) {
      for (const [method, value] of Object.entries(item)) {
        const operation = value as { summary?: string; tags?: string[]; responses: Record<string, unknown> };
        const name = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.summary, `${name} has a summary`);
        assert.ok(operation.tags?.length && operation.tags.every((tag) => tags.has(tag)), `${name} tags`);
        assert.ok(operation.responses['503'], `${name} documents 503`);
      }
    }
    const schemes = (served.components as { securitySchemes: Record<string, unknown> }).securitySchemes;
    assert.deepEqual(Object.keys(schemes).sort(), [
      'admin_api_key',
      'admin_token',
      'bearer',
      'client_basic',
      'metrics_token',
      'session_cookie',
    ]);
  });

  test(
    '/docs renders the reference in Chromium from this server alone',
    { skip: unlessChromium() },
    async () => {
      const page = await (await browser.get()).newPage({ viewport: { width: 1280, height: 900 } });
      const elsewhere: string[] = [];
      const problems: string[] = [];
      const origin = new URL(t.base).origin;
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (url.protocol !== 'data:' && url.protocol !== 'blob:' && url.origin !== origin)
          elsewhere.push(url.href);
      });
      page.on('console', (message) => {
        if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      try {
        const response = await page.goto(`${t.base}/docs`);
        assert.equal(response?.status(), 200);
        assert.equal(new URL(page.url()).pathname, '/docs/');
        const csp = (await response?.allHeaders())?.['content-security-policy'] ?? '';
        assert.match(csp, /connect-src 'self'/);
        await page.getByText('Sign in with email and password').first().waitFor({ timeout: 20_000 });
        const text = await page.locator('body').innerText();
        for (const expected of ['HelloJohn', 'Create an account', '/v2/auth/register']) {
          assert.ok(text.includes(expected), `the reference shows "${expected}"`);
        }
        // The first screen only: the whole reference is a page some 17,000 pixels long.
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'api-reference-docs.png') });
        assert.deepEqual(elsewhere, [], 'requests to other hosts');
        assert.deepEqual(problems, [], 'CSP violations or page errors');
      } finally {
        await page.close();
      }
    },
  );

  test('other pages keep their strict CSP', async () => {
    const home = await fetch(`${t.base}/`);
    assert.match(home.headers.get('content-security-policy') ?? '', /script-src 'none'/);
    const api = await fetch(`${t.base}/openapi.json`);
    assert.equal(api.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
  });
});
