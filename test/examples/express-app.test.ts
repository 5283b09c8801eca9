// The "Integrate your app" guide (docs/oauth.md, examples/express-app/README.md) works as written: a real
// `hellojohn serve` on a fresh database, a client and a user made with the CLI, and the example app copied
// out of the repository to a temporary folder and started with `npm start`, as its README says. A
// cookie-keeping fetch client plays the browser: the app's "Sign in" link, HelloJohn's login and consent
// pages (csrf_token and interaction from the forms), back to the app's /callback, the signed-in page with
// the user's email, then sign-out through RP-initiated logout.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD } from '../support/app.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/net.js';
import {
  HttpAgent,
  describePage,
  expectPage,
  expectRedirect,
  isConsentPage,
  isLoginPage,
  parseForms,
  type Landing,
  type Page,
} from '../support/oidc.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/express-app');

interface ExamplePackage {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}

/**
 * The example folder copied out of the repository, as a user copies it. Its node_modules is a link to the
 * repository's install (the root has express and openid-client as dev dependencies), so no network is
 * needed; the test below checks that the copy's package.json declares everything server.mjs imports, so
 * the link cannot hide a missing dependency.
 */
async function copyExampleOut(): Promise<string> {
  const dir = await mkdtemp(path.join(await realpath(os.tmpdir()), 'hellojohn-express-example-'));
  assert.ok(path.relative(REPO, dir).startsWith('..'), `${dir} is outside the repository`);
  await cp(EXAMPLE, dir, { recursive: true, filter: (from) => !from.includes('node_modules') });
  await symlink(await realpath(path.join(REPO, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

interface ExampleApp {
  url: string;
  logs: () => string;
  stop(): Promise<void>;
}

/** Runs the copy as its README says: `npm start`, configured by environment variables only. */
async function startExample(dir: string, port: number, env: Record<string, string>): Promise<ExampleApp> {
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: dir,
    // A clean environment (no NODE_PATH, NODE_OPTIONS or npm_* from the test run): only what a user has.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.homedir(),
      npm_config_update_notifier: 'false',
      APP_URL: url,
      PORT: String(port),
      ...env,
    },
    // Its own process group: stopping it reaches node behind npm.
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('example app listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`example exited before listening:\n${output}`));
    });
  });
  return {
    url,
    logs: () => output,
    stop: async () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** `^X.Y.Z` is satisfied by `version` (the only range form the example uses). */
function satisfiesCaret(version: string, range: string): boolean {
  const wanted = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  assert.ok(wanted, `${range}: the example pins dependencies as ^X.Y.Z`);
  const [major, minor, patch] = version.split('.').map((n) => parseInt(n, 10));
  const [wantMajor, wantMinor, wantPatch] = wanted.slice(1).map(Number) as [number, number, number];
  return major === wantMajor && (minor! > wantMinor || (minor === wantMinor && patch! >= wantPatch));
}

describe('examples/express-app: a standalone package', () => {
  test('package.json declares what server.mjs imports, and `npm start` runs server.mjs', async () => {
    const pkg = JSON.parse(await readFile(path.join(EXAMPLE, 'package.json'), 'utf8')) as ExamplePackage;
    assert.equal(pkg.scripts.start, 'node server.mjs');
    const source = await readFile(path.join(EXAMPLE, 'server.mjs'), 'utf8');
    const imported = [...source.matchAll(/^import .* from '([^']+)';$/gm)]
      .map((m) => m[1]!)
      .filter((specifier) => !specifier.startsWith('node:'))
      .map((specifier) => specifier.split('/')[0]!);
    assert.deepEqual([...new Set(imported)].sort(), Object.keys(pkg.dependencies).sort());
    assert.ok(imported.includes('express'), 'an Express application');
    // The repository's install (what the tests and a clone run) satisfies the example's ranges.
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      const installed = JSON.parse(
        await readFile(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { version: string };
      assert.ok(satisfiesCaret(installed.version, range), `${name}@${installed.version} vs ${range}`);
    }
  });
});

/** The visible text of a page, for assertions and failure messages. */
const textOf = (page: Page) =>
  page.html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('examples/express-app: the integration guide end to end', { timeout: 180_000 }, () => {
  let testDb: TestDatabase;
  let server: ServerProcess;
  let issuer: string;
  let appPort: number;
  let appUrl: string;
  let clientId: string;
  let clientSecret: string;
  let exampleDir: string;
  const email = 'ada@example.com';
  const examples: ExampleApp[] = [];

  before(async () => {
    exampleDir = await copyExampleOut();
    testDb = await createTestDatabase();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    const env = { ...testDb.env, ...FAST_ARGON2, BASE_URL: issuer };
    // The CLI runs before the server: PGlite allows one process at a time.
    const cli = async (...args: string[]) => {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, `hellojohn ${args.join(' ')}: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    await runCli(['migrate'], env);
    // The guide's commands: a confidential (not first-party, so the consent page shows) client, a user.
    const created = await cli(
      'clients',
      'create',
      '--name',
      'Example app',
      '--type',
      'confidential',
      '--redirect-uri',
      `${appUrl}/callback`,
      '--post-logout-redirect-uri',
      `${appUrl}/`,
      '--json',
    );
    clientId = created.client_id as string;
    clientSecret = created.client_secret as string;
    assert.equal(created.token_endpoint_auth_method, 'client_secret_basic');
    await cli(
      'users',
      'create',
      '--email',
      email,
      '--password',
      STRONG_PASSWORD,
      '--name',
      'Ada Lovelace',
      '--verified',
      '--json',
    );
    server = await startServerProcess({ ...env, PORT: String(port) });
  });

  after(async () => {
    for (const app of examples) await app.stop();
    await server?.stop();
    await testDb?.drop();
    if (exampleDir) await rm(exampleDir, { recursive: true, force: true });
  });

  /** The example on its registered address, with the guide's environment (overrides for broken setups). */
  async function example(env: Record<string, string> = {}, port = appPort) {
    const app = await startExample(exampleDir, port, {
      ISSUER: issuer,
      CLIENT_ID: clientId,
      CLIENT_SECRET: clientSecret,
      APP_URL: `http://127.0.0.1:${port}`,
      PORT: String(port),
      ...env,
    });
    examples.push(app);
    return app;
  }

  /** Signs in on HelloJohn's login page: the form's csrf_token and interaction go back with it. */
  async function submitLogin(agent: HttpAgent, landing: Landing): Promise<Landing> {
    const page = expectPage(landing, 'the login page', isLoginPage);
    assert.ok(page.url.href.startsWith(`${issuer}/login?interaction=`), page.url.href);
    const form = parseForms(page).find((f) => f.fields.some((x) => x.name === 'password'))!;
    const hidden = new Map(form.fields.filter((f) => f.type === 'hidden').map((f) => [f.name, f.value]));
    assert.ok(hidden.get('csrf_token'), 'the login form carries a csrf_token');
    assert.equal(hidden.get('interaction'), page.url.searchParams.get('interaction'));
    return agent.submit(
      page,
      { email, password: STRONG_PASSWORD },
      { form: (f) => f.fields.some((x) => x.name === 'password') },
    );
  }

  test('sign in through the example (login and consent pages), see the email, sign out', async () => {
    const app = await example();
    const agent = new HttpAgent();

    // Signed out: the home page offers "Sign in".
    let home = expectPage(await agent.walk(`${app.url}/`), 'the home page');
    assert.equal(home.status, 200);
    assert.match(home.html, /<a href="\/login">Sign in<\/a>/);

    // /login: a session cookie (HttpOnly) and a redirect to the authorization endpoint with PKCE S256.
    const raw = await fetch(`${app.url}/login`, { redirect: 'manual' });
    await raw.body?.cancel();
    const setCookie = raw.headers.getSetCookie();
    assert.equal(setCookie.length, 1, setCookie.join('\n'));
    assert.match(setCookie[0]!, /^app_session=[\w-]{43};/);
    for (const attribute of ['Path=/', 'HttpOnly', 'SameSite=Lax'])
      assert.ok(setCookie[0]!.split('; ').includes(attribute), `${attribute} in ${setCookie[0]}`);
    const toAuthorize = expectRedirect(await agent.walk(`${app.url}/login`), `${issuer}/oauth2/authorize`);
    const params = Object.fromEntries(toAuthorize.searchParams);
    assert.equal(params.client_id, clientId);
    assert.equal(params.response_type, 'code');
    assert.equal(params.redirect_uri, `${app.url}/callback`);
    assert.equal(params.scope, 'openid profile email');
    assert.equal(params.code_challenge_method, 'S256');
    assert.match(params.code_challenge ?? '', /^[\w-]{43}$/);
    assert.ok(params.state && params.nonce, 'state and nonce');

    // HelloJohn: login page → consent page → back to the app's /callback with a code.
    const afterLogin = await submitLogin(agent, await agent.walk(toAuthorize));
    const consent = expectPage(afterLogin, 'the consent page', isConsentPage);
    assert.match(textOf(consent), /Example app/);
    const back = await agent.submit(
      consent,
      {},
      { button: ['decision', 'allow'], form: (f) => f.buttons.some((b) => b.name === 'decision') },
    );
    const callback = expectRedirect(back, `${app.url}/callback`);
    assert.equal(callback.searchParams.get('state'), params.state);
    assert.equal(callback.searchParams.get('iss'), issuer);
    assert.ok(callback.searchParams.get('code'));

    // The app exchanges the code, validates the ID token, and shows who signed in.
    home = expectPage(await agent.walk(callback), 'the signed-in page');
    assert.equal(home.status, 200, describePage({ kind: 'page', page: home }) + app.logs());
    assert.equal(home.url.pathname, '/', 'redirected away from the URL with the code');
    assert.match(home.html, new RegExp(`Signed in as <strong>${email}</strong>`));
    const claims = JSON.parse(
      /<pre>([\s\S]*)<\/pre>/
        .exec(home.html)![1]!
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    ) as Record<string, unknown>;
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, clientId);
    assert.equal(claims.email, email);
    assert.equal(claims.email_verified, true);
    assert.equal(claims.name, 'Ada Lovelace');
    assert.equal(claims.nonce, params.nonce);

    // Reloading the callback URL: no sign-in in progress any more, refused; the user stays signed in.
    const replay = expectPage(await agent.walk(callback), 'the reloaded callback');
    assert.equal(replay.status, 400);
    assert.match(textOf(replay), /No sign-in in progress/);
    home = expectPage(await agent.walk(`${app.url}/`), 'the home page');
    assert.match(home.html, new RegExp(`Signed in as <strong>${email}</strong>`));

    // Sign in again: HelloJohn still has its session, and remembers the consent: straight back.
    const again = await agent.walk(
      expectRedirect(await agent.walk(`${app.url}/login`), `${issuer}/oauth2/authorize`),
    );
    home = expectPage(await agent.walk(expectRedirect(again, `${app.url}/callback`)), 'the signed-in page');
    assert.match(home.html, new RegExp(`Signed in as <strong>${email}</strong>`));

    // Sign out: to HelloJohn's end_session_endpoint with id_token_hint, no confirmation page, and back.
    const toLogout = expectRedirect(await agent.walk(`${app.url}/logout`), `${issuer}/oauth2/logout`);
    assert.ok(toLogout.searchParams.get('id_token_hint'));
    assert.equal(toLogout.searchParams.get('post_logout_redirect_uri'), `${app.url}/`);
    assert.equal(toLogout.searchParams.get('client_id'), clientId);
    const signedOut = expectRedirect(await agent.walk(toLogout), `${app.url}/`);
    home = expectPage(await agent.walk(signedOut), 'the home page');
    assert.match(home.html, /You are not signed in/);
    assert.ok(!agent.jar.names().includes('hj_session'), 'the HelloJohn session cookie is gone');

    // Signed out at HelloJohn too: the next sign-in asks for the password again (consent stays remembered).
    const relogin = await agent.walk(
      expectRedirect(await agent.walk(`${app.url}/login`), `${issuer}/oauth2/authorize`),
    );
    const done = expectRedirect(await submitLogin(agent, relogin), `${app.url}/callback`);
    home = expectPage(await agent.walk(done), 'the signed-in page');
    assert.match(home.html, new RegExp(`Signed in as <strong>${email}</strong>`));
  });

  test('a wrong CLIENT_SECRET: the callback reports the failure and nobody is signed in', async () => {
    const port = await freePort();
    // A second copy with a wrong secret. Redirect URIs are matched exactly, so it keeps the registered
    // APP_URL (its redirect_uri) while listening on a port of its own.
    const app = await example({ CLIENT_SECRET: 'not-the-secret', APP_URL: appUrl }, port);
    const agent = new HttpAgent();
    const local = `http://127.0.0.1:${port}`;
    const toAuthorize = expectRedirect(await agent.walk(`${local}/login`), `${issuer}/oauth2/authorize`);
    const landing = await submitLogin(agent, await agent.walk(toAuthorize));
    // Consent was given in the first test when it ran; answer it if it is asked.
    const back =
      landing.kind === 'page' && isConsentPage(landing.page)
        ? await agent.submit(
            landing.page,
            {},
            { button: ['decision', 'allow'], form: (f) => f.buttons.some((b) => b.name === 'decision') },
          )
        : landing;
    const callback = expectRedirect(back, `${appUrl}/callback`);
    // The browser would go to APP_URL; this copy listens elsewhere, so deliver the callback to it.
    const failed = expectPage(await agent.walk(`${local}/callback${callback.search}`), 'the callback');
    assert.equal(failed.status, 400, app.logs());
    assert.match(textOf(failed), /Sign-in failed/);
    const home = expectPage(await agent.walk(`${local}/`), 'the home page');
    assert.match(home.html, /You are not signed in/);
  });
});
