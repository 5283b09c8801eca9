// OAuth / OpenID Connect fixtures: a provider on a real port (its issuer is the address the relying party
// uses), clients and users, openid-client as the relying party, and a cookie-keeping HTTP "browser" that
// walks the hosted login and consent pages without Chromium (for the negative cases, which need speed and
// the raw responses rather than rendering).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import { createTenant } from '../../src/db/repositories/tenants.js';
import type { Tenant } from '../../src/tenants/tenants.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from './app.js';

// --- the provider ------------------------------------------------------------------------------------

export interface NewTestClient {
  tenant?: string;
  name?: string;
  type?: 'public' | 'confidential';
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: Array<'authorization_code' | 'refresh_token' | 'client_credentials'>;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  firstParty?: boolean;
  idTokenSignedResponseAlg?: 'RS256' | 'EdDSA' | 'ES256';
  scopes?: string[];
  resourceServer?: boolean;
  tokenEndpointAuthStrict?: boolean;
  defaultAcrValues?: string[];
}

export interface TestClient {
  tenant: string;
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  type: 'public' | 'confidential';
  tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none';
  idTokenSignedResponseAlg: 'RS256' | 'EdDSA' | 'ES256';
  redirectUri: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface TestUser {
  tenant: string;
  email: string;
  password: string;
  name: string;
  /** The API access token registration signed in with (none when the tenant requires a second step). */
  accessToken?: string;
}

/** The clients service as these tests use it (src/clients/clients.ts, wired as `app.services.clients`). */
interface ClientsService {
  create(
    tenant: Tenant,
    input: Omit<NewTestClient, 'tenant'> & { name: string; type: 'public' | 'confidential' },
  ): Promise<{ client: { clientId: string }; clientSecret: string | null }>;
}

export interface OidcTestApp extends TestApp {
  /** The issuer of a tenant: BASE_URL for `default`, BASE_URL/t/{slug} otherwise. */
  issuer(tenant?: string): string;
  /** A redirect URI on a host that never answers: the tests read the redirect, they do not follow it. */
  redirectUri(label?: string): string;
  createTenant(slug: string, name?: string): Promise<void>;
  createClient(input?: NewTestClient): Promise<TestClient>;
  createUser(tenant?: string, name?: string): Promise<TestUser>;
  /** openid-client's Configuration for a client, from the issuer's discovery document. */
  rp(
    c: TestClient,
    options?: { auth?: 'client_secret_basic' | 'client_secret_post' | 'none' },
  ): Promise<client.Configuration>;
}

export const RP_HOST = 'http://127.0.0.1:9';

export async function startOidcApp(
  env: Record<string, string> = {},
  options: Parameters<typeof startTestApp>[1] = {},
): Promise<OidcTestApp> {
  const t = await startTestApp(env, options);
  const services = t.app.services as unknown as {
    clients: ClientsService;
    tenants: TestApp['app']['services']['tenants'];
  };
  const issuer = (tenant = 'default') => (tenant === 'default' ? t.base : `${t.base}/t/${tenant}`);
  let n = 0;
  const redirectUri = (label = 'cb') => `${RP_HOST}/${label}/${process.pid}-${n++}`;

  return {
    ...t,
    issuer,
    redirectUri,
    async createTenant(slug, name = slug) {
      await createTenant(t.db, slug, name);
      services.tenants.invalidate();
    },
    async createClient(input = {}) {
      const tenantSlug = input.tenant ?? 'default';
      const type = input.type ?? 'confidential';
      const tokenEndpointAuthMethod =
        input.tokenEndpointAuthMethod ?? (type === 'public' ? 'none' : 'client_secret_basic');
      const redirectUris = input.redirectUris ?? [redirectUri()];
      const postLogoutRedirectUris = input.postLogoutRedirectUris ?? [redirectUri('signed-out')];
      const tenant = await services.tenants.resolve(tenantSlug);
      const { tenant: _ignored, ...rest } = input;
      const created = await services.clients.create(tenant, {
        grantTypes: ['authorization_code', 'refresh_token'],
        ...rest,
        name: input.name ?? `test client ${n++}`,
        type,
        tokenEndpointAuthMethod,
        redirectUris,
        postLogoutRedirectUris,
      });
      if (type === 'confidential') assert.ok(created.clientSecret, 'a confidential client gets a secret');
      return {
        tenant: tenantSlug,
        issuer: issuer(tenantSlug),
        clientId: created.client.clientId,
        clientSecret: created.clientSecret,
        type,
        tokenEndpointAuthMethod,
        idTokenSignedResponseAlg: input.idTokenSignedResponseAlg ?? 'RS256',
        redirectUri: redirectUris[0]!,
        redirectUris,
        postLogoutRedirectUris,
      };
    },
    async createUser(tenant = 'default', name = 'Test User') {
      const email = uniqueEmail(tenant);
      const registered = await t.post('/v2/auth/register', {
        email,
        password: STRONG_PASSWORD,
        name,
        tenant_id: tenant,
      });
      assert.equal(registered.status, 201, `register ${email}: ${JSON.stringify(registered.body)}`);
      const accessToken = registered.body.access_token as string | undefined;
      return { tenant, email, password: STRONG_PASSWORD, name, ...(accessToken ? { accessToken } : {}) };
    },
    async rp(c, options = {}) {
      const method = options.auth ?? c.tokenEndpointAuthMethod;
      const auth =
        method === 'none'
          ? client.None()
          : method === 'client_secret_post'
            ? client.ClientSecretPost(c.clientSecret!)
            : client.ClientSecretBasic(c.clientSecret!);
      return client.discovery(
        new URL(c.issuer),
        c.clientId,
        { id_token_signed_response_alg: c.idTokenSignedResponseAlg },
        auth,
        { execute: [client.allowInsecureRequests] },
      );
    },
  };
}

// --- authorization requests --------------------------------------------------------------------------

export interface AuthRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/** An authorization URL with PKCE S256, state and nonce, as a careful relying party builds it. */
export async function authRequest(
  config: client.Configuration,
  c: TestClient,
  params: Record<string, string> = {},
): Promise<AuthRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const redirectUri = params.redirect_uri ?? c.redirectUri;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, state, nonce, verifier, redirectUri };
}

/** A raw authorization URL (no library help), for requests a well-behaved relying party would not send. */
export function rawAuthorizeUrl(issuer: string, params: Record<string, string>): URL {
  const url = new URL(`${issuer}/oauth2/authorize`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

/** A random PKCE pair. */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = client.randomPKCECodeVerifier();
  return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier) };
}

/** Exchanges the callback URL for tokens with every default check of openid-client on. */
export function exchange(
  config: client.Configuration,
  req: AuthRequest,
  callback: URL | Request,
  checks: { maxAge?: number } = {},
) {
  return client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: req.verifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
    idTokenExpected: true,
    ...checks,
  });
}

/**
 * The ID token checked again apart from openid-client (which does not verify the signature of a token
 * endpoint response): jose, against the issuer's JWKS, for this client and its algorithm.
 */
export async function verifyIdToken(c: TestClient, idToken: string | undefined): Promise<JWTPayload> {
  assert.ok(idToken, 'an ID token');
  const jwks = createRemoteJWKSet(new URL(`${c.issuer}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(idToken, jwks, {
    issuer: c.issuer,
    audience: c.clientId,
    algorithms: [c.idTokenSignedResponseAlg],
  });
  return payload;
}

/** The error an openid-client call rejected with, as `{ error, status }` (fails if it did not reject). */
export async function oauthError(promise: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof client.ResponseBodyError) return { error: e.error, status: e.status };
    if (e instanceof client.WWWAuthenticateChallengeError) {
      const body = (await e.response
        .clone()
        .json()
        .catch(() => ({}))) as { error?: string };
      return { error: body.error ?? e.cause[0]?.parameters.error ?? 'www_authenticate', status: e.status };
    }
    if (e instanceof client.AuthorizationResponseError) return { error: e.error, status: 0 };
    throw e;
  }
  assert.fail('expected the request to fail');
}

// --- raw endpoint calls --------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

async function raw(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form to an endpoint of the issuer (`path` like `/oauth2/token`). */
export async function postForm(
  issuer: string,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return raw(
    await fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...headers,
      },
      body: new URLSearchParams(form).toString(),
      redirect: 'manual',
    }),
  );
}

/** The token endpoint with the client's own authentication method. */
export function tokenRequest(c: TestClient, form: Record<string, string>, secret = c.clientSecret) {
  if (c.tokenEndpointAuthMethod === 'client_secret_basic') {
    return postForm(c.issuer, '/oauth2/token', form, { authorization: basic(c.clientId, secret ?? '') });
  }
  if (c.tokenEndpointAuthMethod === 'client_secret_post') {
    return postForm(c.issuer, '/oauth2/token', {
      ...form,
      client_id: c.clientId,
      client_secret: secret ?? '',
    });
  }
  return postForm(c.issuer, '/oauth2/token', { ...form, client_id: c.clientId });
}

export async function userinfo(issuer: string, accessToken: string): Promise<RawResponse> {
  return raw(
    await fetch(`${issuer}/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    }),
  );
}

export async function introspect(c: TestClient, token: string): Promise<RawResponse> {
  return postForm(
    c.issuer,
    '/oauth2/introspect',
    { token },
    { authorization: basic(c.clientId, c.clientSecret!) },
  );
}

// --- a cookie-keeping HTTP client that walks the hosted pages ------------------------------------------

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/** Cookies of one host (every test server is 127.0.0.1): by name and path, expiry honoured on deletion. */
export class CookieJar {
  private cookies: StoredCookie[] = [];

  store(response: Response, url: URL): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=').map((s) => s.trim());
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      this.cookies = this.cookies.filter((c) => !(c.name === name && c.path === path));
      if (!expired && value !== '') this.cookies.push({ name, value, path });
    }
  }

  header(url: URL): string {
    return this.cookies
      .filter(
        (c) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** A copy of the cookies, to put back later with `restore` (e.g. replaying a session cookie). */
  snapshot(): StoredCookie[] {
    return this.cookies.map((c) => ({ ...c }));
  }

  restore(cookies: StoredCookie[]): void {
    this.cookies = cookies.map((c) => ({ ...c }));
  }

  names(): string[] {
    return this.cookies.map((c) => c.name);
  }

  clear(): void {
    this.cookies = [];
  }
}

export interface Page {
  url: URL;
  status: number;
  headers: Headers;
  html: string;
}

/** Where a walk through redirects ended: at the client's redirect URI, or on a page of the provider. */
export type Landing = { kind: 'redirect'; url: URL; status: number } | { kind: 'page'; page: Page };

export interface FormField {
  name: string;
  value: string;
  type: string;
}

export interface ParsedForm {
  action: URL;
  method: string;
  fields: FormField[];
  buttons: FormField[];
}

/** The target of a page's immediate refresh (`<meta http-equiv="refresh" content="0; url=…">`), if any. */
function refreshOf(html: string): string | null {
  const meta = /<meta http-equiv="refresh" content="0; url=([^"]+)">/i.exec(html);
  return meta ? meta[1]!.replace(/&amp;/g, '&') : null;
}

export class HttpAgent {
  readonly jar = new CookieJar();
  /** Every Set-Cookie line received, attributes included, in order (the jar keeps only name and value). */
  readonly setCookies: string[] = [];

  async request(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(target);
    if (cookie) headers.set('cookie', cookie);
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml');
    headers.set('user-agent', 'hellojohn-tests/1 (HttpAgent)');
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.jar.store(response, target);
    this.setCookies.push(...response.headers.getSetCookie());
    return response;
  }

  /**
   * Follows redirects from `url` until one leaves the provider (a redirect to a client: returned without
   * being followed) or a page answers (returned with its HTML). Like a browser without JavaScript, it
   * also follows a page's immediate refresh (`<meta http-equiv="refresh" content="0; url=…">`).
   */
  async walk(url: URL | string, init: RequestInit = {}, max = 10): Promise<Landing> {
    let target = new URL(url);
    let response = await this.request(target, init);
    for (let i = 0; i < max; i++) {
      let location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        const html = await response.text();
        location = response.status === 200 ? refreshOf(html) : null;
        if (!location)
          return {
            kind: 'page',
            page: { url: target, status: response.status, headers: response.headers, html },
          };
      }
      if (!response.bodyUsed) await response.body?.cancel();
      const next = new URL(location, target);
      if (next.origin !== target.origin) return { kind: 'redirect', url: next, status: response.status };
      target = next;
      response = await this.request(target);
    }
    assert.fail(`more than ${max} redirects from ${String(url)}`);
  }

  /**
   * Submits a form of `page` with fields overridden: the one `options.form` picks, else the one holding the
   * most fields named in `values` (the first of those).
   */
  submit(
    page: Page,
    values: Record<string, string>,
    options: { button?: [string, string]; form?: (f: ParsedForm) => boolean; omit?: string[] } = {},
  ) {
    const forms = parseForms(page);
    const named = (form: ParsedForm) => form.fields.filter((field) => field.name in values).length;
    const f = options.form
      ? forms.find(options.form)
      : forms.reduce<ParsedForm | undefined>(
          (best, form) => (!best || named(form) > named(best) ? form : best),
          undefined,
        );
    assert.ok(f, `a form on ${page.url.href}:\n${page.html.slice(0, 2000)}`);
    const body = new URLSearchParams();
    for (const field of f.fields) {
      if (options.omit?.includes(field.name)) continue;
      if (field.name in values) continue;
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.value) continue;
      body.append(field.name, field.value);
    }
    for (const [k, v] of Object.entries(values)) body.append(k, v);
    if (options.button) body.append(options.button[0], options.button[1]);
    return this.walk(f.action, {
      method: f.method.toUpperCase(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: page.url.origin,
        referer: page.url.href,
      },
      body: body.toString(),
    });
  }
}

const decode = (s: string) =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^\s=<>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/g;
  const inner = tag.replace(/^<\s*[a-z]+/i, '').replace(/\/?>$/, '');
  for (const m of inner.matchAll(re)) out[m[1]!.toLowerCase()] = decode(m[2] ?? m[3] ?? m[4] ?? '');
  return out;
}

/** The forms of a page: action (resolved), method, inputs and named buttons. A test helper, not a parser. */
export function parseForms(page: Page): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const m of page.html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const open = /<form\b[^>]*>/i.exec(m[0])![0];
    const a = attributes(open);
    const fields: FormField[] = [];
    const buttons: FormField[] = [];
    for (const input of m[1]!.matchAll(/<input\b[^>]*>/gi)) {
      const ia = attributes(input[0]);
      if (ia.name)
        fields.push({ name: ia.name, value: ia.value ?? '', type: (ia.type ?? 'text').toLowerCase() });
    }
    for (const button of m[1]!.matchAll(/<button\b[^>]*>/gi)) {
      const ba = attributes(button[0]);
      buttons.push({ name: ba.name ?? '', value: ba.value ?? '', type: (ba.type ?? 'submit').toLowerCase() });
    }
    forms.push({
      action: new URL(a.action ?? page.url.href, page.url),
      method: a.method ?? 'get',
      fields,
      buttons,
    });
  }
  return forms;
}

export const isLoginPage = (page: Page) =>
  parseForms(page).some((f) => f.fields.some((x) => x.name === 'password'));
export const isConsentPage = (page: Page) =>
  parseForms(page).some((f) => f.buttons.some((b) => b.name === 'decision' && b.value === 'allow'));

export function describePage(landing: Landing): string {
  if (landing.kind === 'redirect') return `a redirect to ${landing.url.href}`;
  const text = landing.page.html
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
  return `a ${landing.page.status} page at ${landing.page.url.href}: ${text.slice(0, 400)}`;
}

export function expectRedirect(landing: Landing, to: string): URL {
  assert.equal(landing.kind, 'redirect', `expected a redirect to ${to}, got ${describePage(landing)}`);
  const url = (landing as { url: URL }).url;
  assert.equal(`${url.origin}${url.pathname}`, to, `redirected to ${url.href}`);
  return url;
}

export function expectPage(landing: Landing, what: string, check?: (page: Page) => boolean): Page {
  assert.equal(landing.kind, 'page', `expected ${what}, got ${describePage(landing)}`);
  const page = (landing as { page: Page }).page;
  if (check) assert.ok(check(page), `expected ${what}, got ${describePage(landing)}`);
  return page;
}

/**
 * Runs an authorization request to its end: logs in on the login page when asked, answers the consent page
 * when shown (`consent`), and returns the redirect to the client.
 */
export async function authorize(
  agent: HttpAgent,
  url: URL,
  user: TestUser | null,
  options: { consent?: 'allow' | 'deny'; onPage?: (page: Page) => void } = {},
): Promise<Landing> {
  let landing = await agent.walk(url);
  for (let step = 0; step < 4 && landing.kind === 'page'; step++) {
    const page = landing.page;
    options.onPage?.(page);
    if (page.status === 200 && isLoginPage(page) && user) {
      landing = await agent.submit(
        page,
        { email: user.email, password: user.password },
        { form: (f) => f.fields.some((x) => x.name === 'password') },
      );
      user = null; // once: a second login page means the login failed
    } else if (page.status === 200 && isConsentPage(page) && options.consent) {
      landing = await agent.submit(
        page,
        {},
        { button: ['decision', options.consent], form: (f) => f.buttons.some((b) => b.name === 'decision') },
      );
    } else if (page.status === 200 && /<form\b[^>]*method="?post/i.test(page.html) && isFormPost(page)) {
      return landing;
    } else {
      return landing;
    }
  }
  return landing;
}

function isFormPost(page: Page): boolean {
  return parseForms(page).some((f) => f.action.origin !== page.url.origin);
}

/** The authorization response of a landing: the redirect URL (query mode). */
export function callbackOf(landing: Landing, redirectUri: string): URL {
  return expectRedirect(landing, redirectUri);
}

/** A user signed in at the provider (a session cookie in `agent`), via a complete authorization. */
export async function signIn(
  agent: HttpAgent,
  config: client.Configuration,
  c: TestClient,
  user: TestUser,
  params: Record<string, string> = {},
) {
  const req = await authRequest(config, c, params);
  const landing = await authorize(agent, req.url, user, { consent: 'allow' });
  const tokens = await exchange(config, req, callbackOf(landing, req.redirectUri));
  return { req, tokens, claims: tokens.claims()! };
}

export function randomLabel(): string {
  return randomBytes(6).toString('hex');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
