// /admin serves the built console from a folder (a fake build here): hashed assets cached for a year,
// index.html (never cached) for every other path, 404 JSON for a missing asset, nothing outside the folder
// whatever the path says (`..`, encoded, absolute, a symbolic link), the console's CSP on every answer,
// and /admin/config.json. Without a build, /admin says to run `npm run build`.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import { featureModules } from '../../modules/index.js';
import { createConsoleModule } from './index.js';
import { CONSOLE_CSP } from './routes.js';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/admin/assets/app-3f2a1b.js"></script></head><body><div id="root"></div></body></html>';
const SECRET = 'top-secret-outside-the-build';

function withConsoleAt(distDir: string) {
  return featureModules.map((m) => (m.id === 'console' ? createConsoleModule({ distDir }) : m));
}

/** A GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string; type: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the admin console', () => {
  let t: TestApp;
  let bare: TestApp;
  let root: string;

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'hj-console-'));
    const dist = path.join(root, 'dist', 'console');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'app-3f2a1b.js'), 'console.log("console");');
    writeFileSync(path.join(dist, 'assets', 'style-9c8d.css'), 'body{margin:0}');
    writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(root, 'secret.txt'), SECRET);
    writeFileSync(path.join(dist, '.env'), SECRET);
    symlinkSync(root, path.join(dist, 'assets', 'out'));
    [t, bare] = await Promise.all([
      startTestApp({}, { modules: withConsoleAt(dist) }),
      startTestApp({}, { modules: withConsoleAt(path.join(root, 'not-built')) }),
    ]);
  });
  after(async () => {
    await Promise.all([t?.close(), bare?.close()]);
    rmSync(root, { recursive: true, force: true });
  });

  test('index.html for /admin and every client-side route, never cached, with the console CSP', async () => {
    for (const at of [
      '/admin',
      '/admin/',
      '/admin/users/123',
      '/admin/tenants/acme/clients/',
      '/admin/index.html',
    ]) {
      const response = await fetch(`${t.base}${at}`);
      assert.equal(response.status, 200, at);
      assert.equal(await response.text(), INDEX, at);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/, at);
      assert.equal(response.headers.get('cache-control'), 'no-store', at);
      assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP, at);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
    }
    const scripts = /script-src ([^;]*)/.exec(CONSOLE_CSP)![1]!;
    assert.equal(scripts, "'self'");
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-eval/);
  });

  test('assets: the file, cached for a year; a missing one is 404 JSON', async () => {
    const js = await fetch(`${t.base}/admin/assets/app-3f2a1b.js`);
    assert.equal(js.status, 200);
    assert.equal(await js.text(), 'console.log("console");');
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    // fetch asks for gzip and unpacks it: the same text, sent compressed.
    assert.equal(js.headers.get('content-encoding'), 'gzip');
    assert.equal(js.headers.get('vary'), 'accept-encoding');
    const plain = await new Promise<{ encoding?: string; body: string }>((resolve, reject) => {
      httpRequest(`${t.base}/admin/assets/app-3f2a1b.js`, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ encoding: response.headers['content-encoding'], body: text }));
      })
        .on('error', reject)
        .end();
    });
    assert.deepEqual(plain, { encoding: undefined, body: 'console.log("console");' }, 'no gzip unless asked');
    const css = await fetch(`${t.base}/admin/assets/style-9c8d.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const icon = await fetch(`${t.base}/admin/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type') ?? '', /^image\/svg\+xml/);

    const missing = await fetch(`${t.base}/admin/assets/app-000000.js`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(((await missing.json()) as { error: string }).error, 'not_found');
    const folder = await fetch(`${t.base}/admin/assets`);
    assert.equal(folder.status, 404, 'a folder is not a file');
  });

  test('nothing outside the build, however the path is written', async () => {
    const attempts = [
      '/admin/assets/../../secret.txt',
      '/admin/../secret.txt',
      '/admin/assets/%2e%2e/%2e%2e/secret.txt',
      '/admin/%2e%2e/%2e%2e/secret.txt',
      '/admin/assets/..%2f..%2fsecret.txt',
      '/admin/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/admin/assets/..%5c..%5csecret.txt',
      `/admin/assets/${encodeURIComponent(path.join(root, 'secret.txt'))}`,
      `/admin/${encodeURIComponent(path.join(root, 'secret.txt'))}`,
      `/admin/${path.join(root, 'secret.txt')}`,
      `/admin/assets/${path.join(root, 'secret.txt')}`,
      '/admin/assets/out/secret.txt',
      '/admin/.env',
      '/admin/assets/%00../secret.txt',
    ];
    for (const attempt of attempts) {
      const answer = await rawGet(t.base, attempt);
      assert.ok(!answer.body.includes(SECRET), `${attempt} leaked the file`);
      assert.ok(
        [400, 404].includes(answer.status),
        `${attempt}: ${answer.status} ${answer.body.slice(0, 200)}`,
      );
    }
  });

  test('GET /admin/config.json: where to sign in, and whether a console admin exists', async () => {
    const before = await t.get('/admin/config.json');
    assert.equal(before.status, 200);
    assert.equal(before.headers.get('cache-control'), 'no-store');
    assert.deepEqual(before.body, {
      issuer: `${t.base}/t/admin`,
      client_id: 'hellojohn-console',
      redirect_uri: `${t.base}/admin/callback`,
      post_logout_redirect_uri: `${t.base}/admin/`,
      admin_exists: false,
      // This test's server: BASE_URL on 127.0.0.1, and the request from this machine.
      first_run_open: true,
    });
    const accounts = t.app.services.modules.find(({ parts }) => parts.operatorAccounts)!.parts
      .operatorAccounts!;
    await accounts.create(uniqueEmail('operator'), STRONG_PASSWORD);
    const after = (await t.get('/admin/config.json')).body;
    assert.deepEqual([after.admin_exists, after.first_run_open], [true, false]);
  });

  test('without a build: a page saying to run npm run build; assets 404', async () => {
    for (const at of ['/admin', '/admin/users']) {
      const response = await fetch(`${bare.base}${at}`);
      assert.equal(response.status, 503, at);
      assert.match(await response.text(), /npm run build/);
      assert.equal(response.headers.get('content-security-policy'), CONSOLE_CSP);
    }
    assert.equal((await fetch(`${bare.base}/admin/assets/app.js`)).status, 404);
    assert.equal((await bare.get('/admin/config.json')).status, 200);
  });
});
