// Social sign-in against local providers speaking each provider's documented endpoints (an OpenID
// Provider for Google and generic OIDC, a GitHub-shaped OAuth 2.0 server), inside an OIDC authorization of
// ours with openid-client as the relying party; the account linking rules, the application's code
// exchange, the admin API, and what a failure leaves behind (nothing).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
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
  startGitHub,
  startOidcProvider,
  type LocalGitHub,
  type LocalOidcProvider,
} from '../../../test/support/social-providers.js';

let t: OidcTestApp;
let google: LocalOidcProvider;
let github: LocalGitHub;
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
  const ours = [t.base, google.origin, github.origin];
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

before(async () => {
  google = await startOidcProvider({});
  github = await startGitHub();
  t = await startOidcApp({
    SOCIAL_GOOGLE_URL: google.issuer,
    SOCIAL_GITHUB_URL: github.url,
    SOCIAL_HTTP_TIMEOUT: '1s',
  });
  google.register([callback('google')]);
  admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  rp = await t.createClient({ firstParty: true });
  await configure('google', { client_id: google.clientId, client_secret: google.clientSecret });
  await configure('github', { client_id: github.clientId, client_secret: github.clientSecret });
});

after(async () => {
  await t?.close();
  await google?.close();
  await github?.close();
});

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
