// Social sign-in against local providers speaking each provider's documented endpoints (an OpenID
// Provider for Google and generic OIDC, a GitHub-shaped OAuth 2.0 server), inside an OIDC authorization of
// ours with openid-client as the relying party; the account linking rules, the application's code
// exchange, the admin API, and what a failure leaves behind (nothing).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportPKCS8, generateKeyPair } from 'jose';
import { Secret, TOTP } from 'otpauth';
import { STRONG_PASSWORD, uniqueEmail } from '../../../test/support/app.js';
import {
  HttpAgent,
  authRequest,
  exchange,
  parseForms,
  startOidcApp,
  type Landing,
  type OidcTestApp,
  type Page,
  type TestClient,
} from '../../../test/support/oidc.js';
import {
  startOAuthProvider,
  startOidcProvider,
  type LocalOAuthProvider,
  type LocalOidcProvider,
} from '../../../test/support/social-providers.js';

let t: OidcTestApp;
let google: LocalOidcProvider;
let github: LocalOAuthProvider;
let discord: LocalOAuthProvider;
let facebook: LocalOAuthProvider;
let linkedin: LocalOidcProvider;
let gitlab: LocalOidcProvider;
let apple: LocalOidcProvider;
let microsoft: LocalOidcProvider;
let acme: LocalOidcProvider;
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APPLE_TEAM = 'TEAM123456';
const APPLE_KEY = 'KEY1234567';
let admin: Record<string, string>;
let rp: TestClient;

const callback = (provider: string, tenant = 'default') =>
  `${t.issuer(tenant)}/v2/auth/social/${provider}/callback`;

async function configure(provider: string, body: Record<string, unknown>, tenant = 'default') {
  const response = await fetch(`${t.base}/v2/admin/tenants/${tenant}/social-providers/${provider}`, {
    method: 'PUT',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

/** Follows redirects across our server and the providers until the relying party (or a page) is reached. */
async function follow(agent: HttpAgent, url: URL | string, init?: RequestInit): Promise<Landing> {
  const ours = [
    t.base,
    ...[google, github, apple, microsoft, acme, discord, facebook, linkedin, gitlab].map((p) => p.origin),
  ];
  let landing = await agent.walk(url, init);
  for (let i = 0; i < 10 && landing.kind === 'redirect' && ours.includes(landing.url.origin); i++)
    landing = await agent.walk(landing.url);
  return landing;
}

function page(landing: Landing): Page {
  assert.equal(landing.kind, 'page', landing.kind === 'redirect' ? `redirected to ${landing.url.href}` : '');
  return (landing as { page: Page }).page;
}

/** The sign-in page of a new authorization, and the button of `provider` on it. */
async function loginWith(agent: HttpAgent, provider: string) {
  const config = await t.rp(rp);
  const request = await authRequest(config, rp);
  const login = page(await agent.walk(request.url));
  const href = new RegExp(`href="([^"]*/v2/auth/social/${provider}/start[^"]*)"`).exec(login.html)?.[1];
  assert.ok(href, `a ${provider} button on the sign-in page`);
  return { config, request, login, start: new URL(href.replace(/&amp;/g, '&'), t.base) };
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const result = await t.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`, params);
  return Number(result.rows[0]!.n);
}

let appleKey: string;

before(async () => {
  const appleKeys = await generateKeyPair('ES256', { extractable: true });
  appleKey = await exportPKCS8(appleKeys.privateKey);
  google = await startOidcProvider({});
  github = await startOAuthProvider('github');
  discord = await startOAuthProvider('discord');
  facebook = await startOAuthProvider('facebook');
  linkedin = await startOidcProvider({ clientAuth: 'client_secret_post' });
  gitlab = await startOidcProvider({});
  apple = await startOidcProvider({
    jwtClientSecret: { publicKey: appleKeys.publicKey, teamId: APPLE_TEAM },
  });
  // Entra ID: the tokens come from the directory's issuer; /common/v2.0 publishes the {tenantid} template.
  microsoft = await startOidcProvider({
    path: `/${TID}/v2.0`,
    multiTenantAlias: '/common/v2.0',
    clientAuth: 'client_secret_post',
  });
  acme = await startOidcProvider({});
  t = await startOidcApp({
    SOCIAL_GOOGLE_URL: google.issuer,
    SOCIAL_GITHUB_URL: github.url,
    SOCIAL_APPLE_URL: apple.issuer,
    SOCIAL_MICROSOFT_URL: microsoft.origin,
    SOCIAL_DISCORD_URL: discord.url,
    SOCIAL_FACEBOOK_URL: facebook.url,
    SOCIAL_LINKEDIN_URL: linkedin.issuer,
    // Long enough for a loaded machine; the hanging provider's test waits it out.
    SOCIAL_HTTP_TIMEOUT: '3s',
  });
  google.register([callback('google')]);
  apple.register([callback('apple')]);
  microsoft.register([callback('microsoft')]);
  acme.register([callback('acme-sso')]);
  linkedin.register([callback('linkedin')]);
  gitlab.register([callback('gitlab')]);
  admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  rp = await t.createClient({ firstParty: true });
  await configure('google', { client_id: google.clientId, client_secret: google.clientSecret });
  await configure('github', { client_id: github.clientId, client_secret: github.clientSecret });
  await configure('apple', {
    client_id: apple.clientId,
    client_secret: appleKey,
    options: { team_id: APPLE_TEAM, key_id: APPLE_KEY },
  });
  await configure('microsoft', { client_id: microsoft.clientId, client_secret: microsoft.clientSecret });
  await configure('discord', { client_id: discord.clientId, client_secret: discord.clientSecret });
  await configure('facebook', { client_id: facebook.clientId, client_secret: facebook.clientSecret });
  await configure('linkedin', { client_id: linkedin.clientId, client_secret: linkedin.clientSecret });
  // A self-hosted GitLab: the tenant names its issuer.
  await configure('gitlab', {
    client_id: gitlab.clientId,
    client_secret: gitlab.clientSecret,
    issuer: gitlab.issuer,
  });
  await configure('acme-sso', {
    kind: 'oidc',
    label: 'Acme SSO',
    issuer: acme.issuer,
    client_id: acme.clientId,
    client_secret: acme.clientSecret,
  });
});

after(async () => {
  await t?.close();
  await Promise.all(
    [google, github, apple, microsoft, acme, discord, facebook, linkedin, gitlab].map((p) => p?.close()),
  );
});

/** A new user at a provider. */
const person = (prefix: string) => ({
  sub: `${prefix}-${randomBytes(6).toString('hex')}`,
  email: uniqueEmail(prefix),
  email_verified: true,
  name: 'Ana Lima',
});

/** A full hosted sign-in with `provider`: the tokens' claims, or the page it ended on. */
async function signInWith(provider: string, agent = new HttpAgent()) {
  const { config, request, start } = await loginWith(agent, provider);
  const landing = await follow(agent, start);
  if (landing.kind === 'page') return { page: landing.page, agent };
  const tokens = await exchange(config, request, landing.url);
  return { claims: tokens.claims()!, agent };
}

/** The claims of a sign-in that must have reached the relying party (else the page it ended on, shown). */
function claimsOf(result: Awaited<ReturnType<typeof signInWith>>) {
  assert.ok(
    result.claims,
    `ended on a page: ${result.page?.status} ${result.page?.html.replace(/\s+/g, ' ').slice(0, 600)}`,
  );
  return result.claims;
}

async function userId(email: string): Promise<string | null> {
  const r = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  return r.rows[0]?.id ?? null;
}

/** An account with a password, signed up through the API. */
async function passwordUser(): Promise<{ email: string; id: string }> {
  const email = uniqueEmail('pw');
  const r = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { email, id: (await userId(email))! };
}

describe('signing in with Google (OpenID Connect) inside an authorization', () => {
  test('a new user: an account without a password, the verified email, name and picture; amr fed', async () => {
    const email = uniqueEmail('google');
    const sub = `g-${randomBytes(6).toString('hex')}`;
    google.signIn({
      sub,
      email,
      email_verified: true,
      name: 'Ana Lima',
      picture: 'https://example.com/ana.png',
    });
    const agent = new HttpAgent();
    const { config, request, start } = await loginWith(agent, 'google');
    const landing = await follow(agent, start);
    assert.equal(landing.kind, 'redirect');
    const tokens = await exchange(config, request, (landing as { url: URL }).url);
    const claims = tokens.claims()!;
    assert.deepEqual(claims.amr, ['fed']);
    assert.equal(claims.email, email);

    const user = await t.db.query<{
      password_hash: string | null;
      email_verified: boolean;
      name: string;
      profile: { picture?: string };
    }>('SELECT password_hash, email_verified, name, profile FROM users WHERE email = $1', [email]);
    assert.equal(user.rows[0]!.password_hash, null);
    assert.equal(user.rows[0]!.email_verified, true);
    assert.equal(user.rows[0]!.name, 'Ana Lima');
    assert.equal(user.rows[0]!.profile.picture, 'https://example.com/ana.png');
    assert.equal(await count('social_identities WHERE provider = $1 AND subject = $2', ['google', sub]), 1);
    const linked = await t.db.query<{ data: { via: string } }>(
      "SELECT data FROM audit_events WHERE type = 'social.linked' AND user_id = (SELECT id FROM users WHERE email = $1)",
      [email],
    );
    assert.deepEqual(
      linked.rows.map((r) => r.data.via),
      ['sign_up'],
    );

    // Again, in a new browser: the same account, found by the provider's subject.
    const again = new HttpAgent();
    const second = await loginWith(again, 'google');
    const back = await follow(again, second.start);
    const tokens2 = await exchange(second.config, second.request, (back as { url: URL }).url);
    assert.equal(tokens2.claims()!.sub, claims.sub);
  });
});

describe('linking to an existing account', () => {
  test('a verified email meets an account, auto-link off (the default): refused, nothing linked', async () => {
    const existing = await passwordUser();
    google.signIn({ ...person('g'), email: existing.email });
    const { page } = await signInWith('google');
    assert.equal(page!.status, 409);
    assert.match(page!.html, /already exists.*connect Google on your account page/s);
    assert.equal(await count('social_identities WHERE user_id = $1', [existing.id]), 0);
    assert.equal(
      await count("audit_events WHERE type = 'social.sign_in_refused' AND user_id = $1", [existing.id]),
      1,
    );
  });

  test('auto-link on and the email verified: the existing account signs in, now linked', async () => {
    await configure('google', { client_id: google.clientId, auto_link: true });
    try {
      const existing = await passwordUser();
      google.signIn({ ...person('g'), email: existing.email });
      const claims = claimsOf(await signInWith('google'));
      assert.equal(claims.sub, existing.id);
      assert.equal(await count('social_identities WHERE user_id = $1', [existing.id]), 1);
      const via = await t.db.query<{ data: { via: string } }>(
        "SELECT data FROM audit_events WHERE type = 'social.linked' AND user_id = $1",
        [existing.id],
      );
      assert.deepEqual(
        via.rows.map((r) => r.data.via),
        ['auto_link'],
      );
    } finally {
      await configure('google', { client_id: google.clientId, auto_link: false });
    }
  });

  test('an unverified email never auto-links, even when the tenant allows it', async () => {
    await configure('google', { client_id: google.clientId, auto_link: true });
    try {
      const existing = await passwordUser();
      google.signIn({ ...person('g'), email: existing.email, email_verified: false });
      const { page } = await signInWith('google');
      assert.equal(page!.status, 409);
      assert.equal(await count('social_identities WHERE user_id = $1', [existing.id]), 0);
    } finally {
      await configure('google', { client_id: google.clientId, auto_link: false });
    }
  });

  test('an unverified email makes no account', async () => {
    const who = { ...person('g'), email_verified: false };
    google.signIn(who);
    const { page } = await signInWith('google');
    assert.equal(page!.status, 403);
    assert.match(page!.html, /did not confirm an email address/);
    assert.equal(await userId(who.email), null);
  });
});

describe('signing in with GitHub (OAuth 2.0 and its user API)', () => {
  test('the primary verified address from /user/emails, not the public one; PKCE; name and avatar', async () => {
    const email = uniqueEmail('gh');
    github.signIn({
      id: 4242000 + Math.floor(Math.random() * 1000),
      login: 'ana-lima',
      name: null,
      avatar_url: 'https://avatars.example.com/u/1',
      email: 'public@example.com',
      emails: [
        { email: 'old@example.com', primary: false, verified: true },
        { email, primary: true, verified: true },
      ],
    });
    const claims = claimsOf(await signInWith('github'));
    assert.equal(claims.email, email);
    assert.deepEqual(claims.amr, ['fed']);
    const form = github.tokenRequests.at(-1)!;
    assert.match(form.get('code_verifier') ?? '', /^[A-Za-z0-9_-]{43}$/);
    const user = await t.db.query<{ name: string; email_verified: boolean }>(
      'SELECT name, email_verified FROM users WHERE email = $1',
      [email],
    );
    assert.equal(user.rows[0]!.name, 'ana-lima');
    assert.equal(user.rows[0]!.email_verified, true);
  });

  test('no verified primary address: no account', async () => {
    const email = uniqueEmail('gh');
    github.signIn({ id: 99, login: 'x', name: 'X', emails: [{ email, primary: true, verified: false }] });
    const { page } = await signInWith('github');
    assert.equal(page!.status, 403);
    assert.equal(await userId(email), null);
  });

  test('the user declines at GitHub: a clear page, back to signing in', async () => {
    github.signIn({ id: 98, login: 'y', name: 'Y', emails: [] });
    github.denyNext('access_denied');
    const { page } = await signInWith('github');
    assert.equal(page!.status, 400);
    assert.match(page!.html, /You did not sign in with GitHub/);
    assert.match(page!.html, /href="\/login\?interaction=/);
  });
});

describe('what a callback must prove', () => {
  /** The provider's answer (our callback URL) for a sign-in started by `agent`, not followed. */
  async function providerAnswer(agent: HttpAgent, change?: (url: URL) => void) {
    const { start } = await loginWith(agent, 'google');
    const toProvider = await agent.walk(start);
    assert.equal(toProvider.kind, 'redirect');
    const url = (toProvider as { url: URL }).url;
    change?.(url);
    const back = await agent.walk(url);
    let landing = back;
    while (landing.kind === 'redirect' && landing.url.origin === google.origin)
      landing = await agent.walk(landing.url);
    assert.equal(landing.kind, 'redirect');
    return (landing as { url: URL }).url;
  }

  async function nothingWritten(email: string) {
    assert.equal(await userId(email), null, 'no account');
  }

  test('state mismatch: the callback in another browser (no binding cookie), or a state altered', async () => {
    const who = person('g');
    google.signIn(who);
    const answer = await providerAnswer(new HttpAgent());
    const elsewhere = page(await new HttpAgent().walk(answer));
    assert.equal(elsewhere.status, 400);
    assert.match(elsewhere.html, /not started in this browser, or it has expired/);

    const agent = new HttpAgent();
    const own = await providerAnswer(agent);
    const state = own.searchParams.get('state')!;
    own.searchParams.set('state', `${state.slice(0, 10)}${state[10] === 'A' ? 'B' : 'A'}${state.slice(11)}`);
    assert.equal(page(await agent.walk(own)).status, 400);
    await nothingWritten(who.email);
  });

  test('nonce mismatch: an ID token for another sign-in is refused', async () => {
    const who = person('g');
    google.signIn(who);
    const agent = new HttpAgent();
    const answer = await providerAnswer(agent, (url) => url.searchParams.set('nonce', 'another-nonce'));
    const result = page(await follow(agent, answer));
    assert.equal(result.status, 400);
    assert.match(result.html, /could not be verified/);
    await nothingWritten(who.email);
  });

  test('an ID token for another audience, or signed with another key, is refused', async () => {
    for (const [change, foreign] of [
      [(c: Record<string, unknown>) => ({ ...c, aud: 'another-client' }), false],
      [(c: Record<string, unknown>) => c, true],
      [(c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.example.com' }), false],
    ] as const) {
      const who = person('g');
      google.signIn(who);
      google.tamperIdToken(change, foreign);
      const { page: result } = await signInWith('google');
      assert.equal(result!.status, 400);
      assert.match(result!.html, /could not be verified/);
      await nothingWritten(who.email);
    }
  });

  test('the provider fails or does not answer in time: a clear page, nothing half-written', async () => {
    for (const behaviour of ['error500', 'hang'] as const) {
      const who = person('g');
      google.signIn(who);
      google.tokenEndpoint(behaviour);
      try {
        const began = Date.now();
        const { page: result } = await signInWith('google');
        assert.equal(result!.status, 502, behaviour);
        assert.match(result!.html, /Google did not answer in time/);
        assert.ok(Date.now() - began < 10_000, 'the timeout (3s) applies');
      } finally {
        google.tokenEndpoint('ok');
      }
      await nothingWritten(who.email);
    }
  });

  test('a provider that is off or unknown cannot be started', async () => {
    const unknown = await new HttpAgent().walk(`${t.base}/v2/auth/social/nope/start`);
    assert.equal(page(unknown).status, 404);
  });
});

describe('an application signs in with a provider and exchanges the code (PKCE)', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  async function appSignIn(app: TestClient, redirectUri = app.redirectUri) {
    const who = person('app');
    google.signIn(who);
    const start = new URL(`${t.base}/v2/auth/social/google/start`);
    for (const [k, v] of Object.entries({
      client_id: app.clientId,
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'app-state',
    }))
      start.searchParams.set(k, v);
    return { who, landing: await follow(new HttpAgent(), start) };
  }

  test('the redirect URI gets a one-time code and the state; the code and verifier give tokens, once', async () => {
    const app = await t.createClient({ type: 'public', firstParty: true });
    const { who, landing } = await appSignIn(app);
    assert.equal(landing.kind, 'redirect');
    const url = (landing as { url: URL }).url;
    assert.equal(`${url.origin}${url.pathname}`, app.redirectUri);
    assert.equal(url.searchParams.get('state'), 'app-state');
    const code = url.searchParams.get('code')!;

    const wrong = await t.post('/v2/auth/social/exchange', {
      code,
      code_verifier: 'x'.repeat(43),
      client_id: app.clientId,
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    // A wrong verifier spent the code.
    const late = await t.post('/v2/auth/social/exchange', {
      code,
      code_verifier: verifier,
      client_id: app.clientId,
    });
    assert.equal(late.status, 400);

    const second = await appSignIn(app);
    const code2 = (second.landing as { url: URL }).url.searchParams.get('code')!;
    const ok = await t.post('/v2/auth/social/exchange', {
      code: code2,
      code_verifier: verifier,
      client_id: app.clientId,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(typeof ok.body.refresh_token, 'string');
    assert.deepEqual(decodeJwt(String(ok.body.access_token)).amr, ['fed']);
    const again = await t.post('/v2/auth/social/exchange', {
      code: code2,
      code_verifier: verifier,
      client_id: app.clientId,
    });
    assert.equal(again.status, 400);
    assert.ok(await userId(who.email));
  });

  test('the MFA policy applies: a user with an authenticator app passes it after the provider', async () => {
    const app = await t.createClient({ type: 'public', firstParty: true });
    const { who, landing } = await appSignIn(app);
    const code = (landing as { url: URL }).url.searchParams.get('code')!;
    const first = await t.post('/v2/auth/social/exchange', {
      code,
      code_verifier: verifier,
      client_id: app.clientId,
    });
    const auth = { authorization: `Bearer ${String(first.body.access_token)}` };
    const enroll = await t.post('/v2/auth/mfa/totp/enroll', {}, auth);
    assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
    const totp = new TOTP({ secret: Secret.fromBase32(String(enroll.body.secret)) });
    assert.equal((await t.post('/v2/auth/mfa/totp/verify', { code: totp.generate() }, auth)).status, 200);

    // The application's sign-in: the second step instead of tokens, then fed + otp + mfa.
    google.signIn(who);
    const start = new URL(`${t.base}/v2/auth/social/google/start`);
    for (const [k, v] of Object.entries({
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      code_challenge: challenge,
    }))
      start.searchParams.set(k, v);
    const back = (await follow(new HttpAgent(), start)) as { url: URL };
    const second = await t.post('/v2/auth/social/exchange', {
      code: back.url.searchParams.get('code')!,
      code_verifier: verifier,
      client_id: app.clientId,
    });
    assert.equal(second.body.mfa_required, true, JSON.stringify(second.body));
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: second.body.mfa_token,
      factor: 'totp',
      code: totp.generate({ timestamp: Date.now() + 30_000 }),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(decodeJwt(String(done.body.access_token)).amr, ['fed', 'otp', 'mfa']);

    // The hosted sign-in: the second-step page, inside the authorization.
    const { page: mfa } = await signInWith('google');
    assert.equal(mfa!.status, 200);
    assert.match(mfa!.html, /name="mfa_token"/);
    assert.match(mfa!.html, /name="interaction"/);
  });

  test('a redirect URI the application did not register is refused before leaving', async () => {
    const app = await t.createClient({ type: 'public' });
    const { landing } = await appSignIn(app, 'https://evil.example.com/cb');
    assert.equal(page(landing).status, 400);
  });
});

describe('Apple: form_post callback, a JWT client secret, the name on the first sign-in only', () => {
  test('the posted answer is relayed to the GET callback; the secret is an ES256 JWT; the name from `user`', async () => {
    const who = {
      sub: `apple-${randomBytes(4).toString('hex')}`,
      email: uniqueEmail('apple'),
      email_verified: 'true',
    };
    apple.signIn(who);
    const agent = new HttpAgent();
    const { config, request, start } = await loginWith(agent, 'apple');
    const posted = page(await follow(agent, start));
    const form = parseForms(posted)[0]!;
    assert.equal(form.action.href, callback('apple'));
    const user = JSON.stringify({ name: { firstName: 'Ana', lastName: 'Lima' }, email: who.email });
    let landing = await agent.submit(posted, { user });
    while (landing.kind === 'redirect' && landing.url.origin === t.base)
      landing = await agent.walk(landing.url);
    assert.equal(landing.kind, 'redirect');
    const tokens = await exchange(config, request, (landing as { url: URL }).url);
    assert.equal(tokens.claims()!.email, who.email);
    const row = await t.db.query<{ name: string }>('SELECT name FROM users WHERE email = $1', [who.email]);
    assert.equal(row.rows[0]!.name, 'Ana Lima');
    const secret = apple.secretsReceived.at(-1)!;
    assert.deepEqual(
      { ...decodeJwt(secret), iat: 0, exp: 0 },
      { iss: APPLE_TEAM, sub: apple.clientId, aud: apple.issuer, iat: 0, exp: 0 },
    );
  });
});

describe('Microsoft (Entra ID common): the issuer template filled in from the token', () => {
  test('a token of the directory signs in; xms_edov marks the email verified', async () => {
    const who = { ...person('ms'), email_verified: undefined, tid: TID, xms_edov: true };
    microsoft.signIn(who);
    const claims = claimsOf(await signInWith('microsoft'));
    assert.equal(claims.email, who.email);
  });

  test('a token whose tid is not its issuer\u2019s directory is refused', async () => {
    const who = { ...person('ms'), tid: TID, xms_edov: true };
    microsoft.signIn(who);
    microsoft.tamperIdToken((c) => ({ ...c, tid: '00000000-0000-0000-0000-000000000000' }));
    const { page: result } = await signInWith('microsoft');
    assert.equal(result!.status, 400);
    assert.equal(await userId(who.email), null);
  });

  test('without xms_edov Entra\u2019s email is not verified: no account', async () => {
    const who = { ...person('ms'), tid: TID };
    microsoft.signIn(who);
    const { page: result } = await signInWith('microsoft');
    assert.equal(result!.status, 403);
  });
});

describe('a generic OpenID Connect provider, by its issuer', () => {
  test('configured with an id, a label and its issuer: its button, its sign-in', async () => {
    const who = person('acme');
    acme.signIn(who);
    const agent = new HttpAgent();
    const { login } = await loginWith(agent, 'acme-sso');
    assert.match(login.html, />Acme SSO</);
    const claims = claimsOf(await signInWith('acme-sso'));
    assert.equal(claims.email, who.email);
  });
});

describe('the account page: connect and disconnect', () => {
  async function signedInAgent(user: { email: string }) {
    const agent = new HttpAgent();
    const login = page(await agent.walk(`${t.base}/login?return_to=/account`));
    const landing = await agent.submit(
      login,
      { email: user.email, password: STRONG_PASSWORD },
      {
        form: (f) => f.fields.some((x) => x.name === 'password'),
      },
    );
    assert.equal(landing.kind, 'page');
    return agent;
  }

  test('connect Google, then disconnect it; each audited', async () => {
    const user = await passwordUser();
    const agent = await signedInAgent(user);
    const account = page(await agent.walk(`${t.base}/account`));
    assert.match(account.html, /Connected accounts/);
    const who = person('link');
    google.signIn(who);
    let done = await agent.submit(
      account,
      {},
      {
        form: (f) =>
          f.action.pathname === '/account/social/link' &&
          f.fields.some((x) => x.name === 'provider' && x.value === 'google'),
      },
    );
    while (done.kind === 'redirect' && [google.origin, t.base].includes(done.url.origin))
      done = await agent.walk(done.url);
    const linked = page(done);
    assert.equal(linked.url.pathname, '/account');
    assert.match(linked.html, /Connected\. You can now sign in with it\./);
    assert.equal(await count('social_identities WHERE user_id = $1', [user.id]), 1);

    const unlink = await agent.submit(
      linked,
      {},
      { form: (f) => f.action.pathname === '/account/social/unlink' },
    );
    assert.match(page(unlink).html, /Disconnected/);
    assert.equal(await count('social_identities WHERE user_id = $1', [user.id]), 0);
    const events = await t.db.query<{ type: string }>(
      "SELECT type FROM audit_events WHERE user_id = $1 AND type LIKE 'social.%' ORDER BY id",
      [user.id],
    );
    assert.deepEqual(
      events.rows.map((r) => r.type),
      ['social.linked', 'social.unlinked'],
    );
  });

  test('the last way to sign in cannot be disconnected (page and admin API)', async () => {
    const who = person('only');
    google.signIn(who);
    const { agent } = await signInWith('google');
    const account = page(await agent.walk(`${t.base}/account`));
    assert.match(account.html, /Only way to sign in/);
    // Posted anyway (a stale page): refused, still linked.
    const csrf = parseForms(account)[0]!.fields.find((f) => f.name === 'csrf_token')!.value;
    const refused = await agent.walk(`${t.base}/account/social/unlink`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: csrf, provider: 'google' }).toString(),
    });
    assert.match(page(refused).html, /only way to sign in/i);
    const id = (await userId(who.email))!;
    assert.equal(await count('social_identities WHERE user_id = $1', [id]), 1);
    const viaAdmin = await fetch(`${t.base}/v2/admin/tenants/default/users/${id}/identities/google`, {
      method: 'DELETE',
      headers: admin,
    });
    assert.equal(viaAdmin.status, 409);
    const list = (await (
      await fetch(`${t.base}/v2/admin/tenants/default/users/${id}/identities`, { headers: admin })
    ).json()) as {
      identities: { method: string }[];
    };
    assert.deepEqual(
      list.identities.map((i) => i.method),
      ['google'],
    );
  });
});

describe('configuration (admin API)', () => {
  test('the secret is sealed at rest and never shown; the redirect URI to register is', async () => {
    const body = { kind: 'oidc', label: 'Corp', issuer: 'https://idp.example.com', client_id: 'corp-client' };
    const view = await configure('corp-idp', { ...body, client_secret: 'corp-secret-value' });
    assert.equal(view.client_secret_set, true);
    assert.equal('client_secret' in view, false);
    assert.equal(view.redirect_uri, callback('corp-idp'));
    const row = await t.db.query<{ client_secret_sealed: Buffer }>(
      "SELECT client_secret_sealed FROM social_providers WHERE id = 'corp-idp'",
    );
    assert.equal(row.rows[0]!.client_secret_sealed.includes(Buffer.from('corp-secret-value')), false);
    const config = await t.get('/v2/auth/config');
    assert.ok((config.body.social_providers as string[]).includes('corp-idp'));
    assert.equal((config.body.login_methods as Record<string, boolean>).oidc, true);
    await configure('corp-idp', { ...body, enabled: false });
    const after = await t.get('/v2/auth/config');
    assert.equal((after.body.social_providers as string[]).includes('corp-idp'), false);
    assert.equal(page(await new HttpAgent().walk(`${t.base}/v2/auth/social/corp-idp/start`)).status, 404);
    // Updated without the secret: the stored one stays.
    const kept = await t.db.query<{ client_secret_sealed: Buffer | null }>(
      "SELECT client_secret_sealed FROM social_providers WHERE id = 'corp-idp'",
    );
    assert.ok(kept.rows[0]!.client_secret_sealed);
  });

  test('refused: an http issuer, a generic provider without issuer, Apple without its key ids, unknown kinds', async () => {
    const put = (provider: string, body: unknown) =>
      fetch(`${t.base}/v2/admin/tenants/default/social-providers/${provider}`, {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const [provider, body] of [
      ['corp', { kind: 'oidc', label: 'Corp', client_id: 'c', issuer: 'http://idp.example.com' }],
      ['corp', { kind: 'oidc', label: 'Corp', client_id: 'c' }],
      ['apple', { client_id: 'c', client_secret: appleKey }],
      ['myspace', { client_id: 'c', client_secret: 's' }],
      ['google', { client_id: 'c', client_secret: 's', issuer: 'https://accounts.example.com' }],
      ['password', { kind: 'oidc', label: 'P', client_id: 'c', issuer: 'https://idp.example.com' }],
    ] as const) {
      const response = await put(provider, body);
      assert.equal(response.status, 400, `${provider} ${JSON.stringify(body)}`);
    }
  });
});

describe('Discord, Facebook, LinkedIn and a self-hosted GitLab', () => {
  test('Discord: its user API (verified email, global name); the client authenticates with Basic', async () => {
    const email = uniqueEmail('discord');
    discord.signIn({
      id: '80351110224678912',
      username: 'nelly',
      global_name: 'Nelly',
      avatar: 'a1b2',
      email,
      verified: true,
    });
    const claims = claimsOf(await signInWith('discord'));
    assert.equal(claims.email, email);
    const row = await t.db.query<{ name: string; profile: { picture?: string } }>(
      'SELECT name, profile FROM users WHERE email = $1',
      [email],
    );
    assert.equal(row.rows[0]!.name, 'Nelly');
    assert.equal(
      row.rows[0]!.profile.picture,
      'https://cdn.discordapp.com/avatars/80351110224678912/a1b2.png',
    );
    assert.equal(
      discord.tokenRequests.at(-1)!.get('client_secret'),
      null,
      'the secret went in the Authorization header',
    );
  });

  test('Discord: an unverified email makes no account', async () => {
    const email = uniqueEmail('discord');
    discord.signIn({ id: '1', username: 'u', email, verified: false });
    const { page: result } = await signInWith('discord');
    assert.equal(result!.status, 403);
    assert.equal(await userId(email), null);
  });

  test('Facebook: comma-separated scopes, the Graph API profile with its picture', async () => {
    const email = uniqueEmail('fb');
    facebook.signIn({
      id: '10158',
      name: 'Ana Lima',
      email,
      picture: { data: { url: 'https://graph.example.com/p.jpg' } },
    });
    const claims = claimsOf(await signInWith('facebook'));
    assert.equal(claims.email, email);
    const authorize = facebook.requests.find((u) => u.pathname === '/v21.0/dialog/oauth')!;
    assert.equal(authorize.searchParams.get('scope'), 'email,public_profile');
  });

  test('LinkedIn (OIDC): credentials in the body, no PKCE, the ID token and nonce', async () => {
    const who = person('li');
    linkedin.signIn(who);
    const claims = claimsOf(await signInWith('linkedin'));
    assert.equal(claims.email, who.email);
    const authorize = linkedin.requests.filter((u) => u.pathname === '/auth').at(-1)!;
    assert.equal(authorize.searchParams.get('code_challenge'), null);
    assert.ok(authorize.searchParams.get('nonce'));
  });

  test('GitLab self-hosted: the tenant\u2019s issuer', async () => {
    const who = person('gl');
    gitlab.signIn(who);
    const claims = claimsOf(await signInWith('gitlab'));
    assert.equal(claims.email, who.email);
  });
});
