// Every social provider besides Google and Apple (social-browser.test.ts) in Chromium, each against a local
// server speaking that provider's documented endpoints: GitHub, Microsoft (Entra common), Facebook,
// LinkedIn, Discord, a self-hosted GitLab and a generic OpenID Connect provider. Each signs a new person in
// from our sign-in page inside an authorization of ours, with openid-client as the relying party; and a
// person who declines at the provider gets a clear page, from which the same authorization ends with a
// password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  screenshot,
  sharedBrowser,
  startCallbackServer,
  unlessChromium,
  type CallbackServer,
} from '../../../test/support/browser.js';
import { uniqueEmail } from '../../../test/support/app.js';
import {
  authRequest,
  exchange,
  startOidcApp,
  type OidcTestApp,
  type TestClient,
} from '../../../test/support/oidc.js';
import {
  startOAuthProvider,
  startOidcProvider,
  type LocalOAuthProvider,
  type LocalOidcProvider,
} from '../../../test/support/social-providers.js';

const skip = unlessChromium();
const browser = sharedBrowser();
const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
let t: OidcTestApp;
let callbacks: CallbackServer;
let rp: TestClient;
let github: LocalOAuthProvider;
let discord: LocalOAuthProvider;
let facebook: LocalOAuthProvider;
let microsoft: LocalOidcProvider;
let linkedin: LocalOidcProvider;
let gitlab: LocalOidcProvider;
let acme: LocalOidcProvider;

const hex = () => randomBytes(6).toString('hex');

/** A provider: its id with us, its button's label, its server, and who signs in there with `email`. */
interface Case {
  id: string;
  label: string;
  origin: () => string;
  person: (email: string) => void;
}

// Each person as social.test.ts sets it up for that provider, with the provider's own way of saying the
// email is verified.
const cases: Case[] = [
  {
    id: 'github',
    label: 'GitHub',
    origin: () => github.origin,
    person: (email) =>
      github.signIn({
        id: 4242000 + Math.floor(Math.random() * 100000),
        login: `ana-${hex()}`,
        name: 'Ana Lima',
        email: null,
        emails: [
          { email: `old-${hex()}@example.com`, primary: false, verified: true },
          { email, primary: true, verified: true },
        ],
      }),
  },
  {
    id: 'microsoft',
    label: 'Microsoft',
    origin: () => microsoft.origin,
    person: (email) =>
      microsoft.signIn({ sub: `ms-${hex()}`, email, name: 'Ana Lima', tid: TID, xms_edov: true }),
  },
  {
    id: 'facebook',
    label: 'Facebook',
    origin: () => facebook.origin,
    person: (email) =>
      facebook.signIn({
        id: String(10158000 + Math.floor(Math.random() * 100000)),
        name: 'Ana Lima',
        email,
        picture: { data: { url: 'https://graph.example.com/p.jpg' } },
      }),
  },
  {
    id: 'linkedin',
    label: 'LinkedIn',
    origin: () => linkedin.origin,
    person: (email) => linkedin.signIn({ sub: `li-${hex()}`, email, email_verified: true, name: 'Ana Lima' }),
  },
  {
    id: 'discord',
    label: 'Discord',
    origin: () => discord.origin,
    person: (email) =>
      discord.signIn({
        id: String(80351110224678912n + BigInt(Math.floor(Math.random() * 100000))),
        username: `nelly${hex()}`,
        global_name: 'Nelly',
        email,
        verified: true,
      }),
  },
  {
    id: 'gitlab',
    label: 'GitLab',
    origin: () => gitlab.origin,
    person: (email) => gitlab.signIn({ sub: `gl-${hex()}`, email, email_verified: true, name: 'Ana Lima' }),
  },
  {
    id: 'acme-sso',
    label: 'Acme SSO',
    origin: () => acme.origin,
    person: (email) => acme.signIn({ sub: `acme-${hex()}`, email, email_verified: true, name: 'Ana Lima' }),
  },
];

before(async () => {
  if (skip) return;
  github = await startOAuthProvider('github');
  discord = await startOAuthProvider('discord');
  facebook = await startOAuthProvider('facebook');
  linkedin = await startOidcProvider({ clientAuth: 'client_secret_post' });
  gitlab = await startOidcProvider({});
  acme = await startOidcProvider({});
  // Entra ID: the tokens come from the directory's issuer; /common/v2.0 publishes the {tenantid} template.
  microsoft = await startOidcProvider({
    path: `/${TID}/v2.0`,
    multiTenantAlias: '/common/v2.0',
    clientAuth: 'client_secret_post',
  });
  t = await startOidcApp({
    SOCIAL_GITHUB_URL: github.url,
    SOCIAL_MICROSOFT_URL: microsoft.origin,
    SOCIAL_DISCORD_URL: discord.url,
    SOCIAL_FACEBOOK_URL: facebook.url,
    SOCIAL_LINKEDIN_URL: linkedin.issuer,
  });
  const callback = (id: string) => `${t.base}/v2/auth/social/${id}/callback`;
  microsoft.register([callback('microsoft')]);
  linkedin.register([callback('linkedin')]);
  gitlab.register([callback('gitlab')]);
  acme.register([callback('acme-sso')]);
  callbacks = await startCallbackServer();
  rp = await t.createClient({ firstParty: true, redirectUris: [callbacks.uri('rp')] });
  const admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  const put = async (id: string, body: Record<string, unknown>) => {
    const r = await fetch(`${t.base}/v2/admin/tenants/default/social-providers/${id}`, {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 200, await r.text());
  };
  for (const [id, p] of [
    ['github', github],
    ['microsoft', microsoft],
    ['facebook', facebook],
    ['linkedin', linkedin],
    ['discord', discord],
  ] as const)
    await put(id, { client_id: p.clientId, client_secret: p.clientSecret });
  // A self-hosted GitLab: the tenant names its issuer.
  await put('gitlab', {
    client_id: gitlab.clientId,
    client_secret: gitlab.clientSecret,
    issuer: gitlab.issuer,
  });
  await put('acme-sso', {
    kind: 'oidc',
    label: 'Acme SSO',
    issuer: acme.issuer,
    client_id: acme.clientId,
    client_secret: acme.clientSecret,
  });
});

after(async () => {
  await browser.close();
  await callbacks?.close();
  await t?.close();
  await Promise.all([github, discord, facebook, microsoft, linkedin, gitlab, acme].map((p) => p?.close()));
});

/** A new authorization of the relying party, its sign-in page open in a fresh browser context. */
async function authorization() {
  const context = await (await browser.get()).newContext();
  const page = await context.newPage();
  const navigations: URL[] = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest()) navigations.push(new URL(r.url()));
  });
  const config = await t.rp(rp);
  const request = await authRequest(config, rp);
  await page.goto(request.url.href);
  return { context, page, navigations, config, request };
}

/** The provider's button on our sign-in page: its label, and where it starts. */
async function button(page: Page, c: Pick<Case, 'id' | 'label'>) {
  const link = page.locator(`a.button.alt[href*="/v2/auth/social/${c.id}/start"]`);
  assert.equal(await link.count(), 1, `one ${c.label} button`);
  assert.equal((await link.innerText()).trim(), c.label);
  return link;
}

describe('every other social provider in Chromium, inside an authorization of ours', { skip }, () => {
  for (const c of cases) {
    test(`${c.label}: a new person signs in at the provider, the relying party gets an ID token`, async () => {
      const { context, page, navigations, config, request } = await authorization();
      try {
        const email = uniqueEmail(`chromium-${c.id}`);
        c.person(email);
        await (await button(page, c)).click();
        await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
        assert.ok(
          navigations.some((u) => u.origin === c.origin()),
          `the browser went through ${c.label}'s server`,
        );
        assert.ok(
          navigations.some((u) => u.origin === t.base && u.pathname === `/v2/auth/social/${c.id}/callback`),
          'and came back to our callback',
        );

        const tokens = await exchange(config, request, new URL(page.url()));
        const claims = tokens.claims()!;
        const user = await t.db.query<{ id: string; email_verified: boolean; password_hash: string | null }>(
          'SELECT id, email_verified, password_hash FROM users WHERE email = $1',
          [email],
        );
        assert.equal(user.rows.length, 1, 'the user was created with the provider’s email');
        assert.equal(user.rows[0]!.email_verified, true);
        assert.equal(user.rows[0]!.password_hash, null);
        assert.equal(claims.sub, user.rows[0]!.id);
        assert.equal(claims.email, email);
        assert.ok((claims.amr as string[]).includes('fed'), `amr ${JSON.stringify(claims.amr)}`);
        const linked = await t.db.query<{ provider: string }>(
          'SELECT provider FROM social_identities WHERE user_id = $1',
          [user.rows[0]!.id],
        );
        assert.deepEqual(
          linked.rows.map((r) => r.provider),
          [c.id],
        );
      } finally {
        await context.close();
      }
    });
  }

  test('declined at the provider: a clear page, back to the same sign-in, finished with a password', async () => {
    const user = await t.createUser();
    const { context, page, navigations, config, request } = await authorization();
    try {
      github.signIn({ id: 98, login: 'y', name: 'Y', emails: [] });
      github.denyNext('access_denied');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/v2/auth/social/github/callback')),
        (await button(page, { id: 'github', label: 'GitHub' })).click(),
      ]);
      await page.waitForLoadState('load');
      assert.equal(response.status(), 400);
      assert.equal(new URL(page.url()).origin, t.base, 'on our page, not the relying party’s');
      await screenshot(page, 'social-declined-1280');
      assert.match(await page.locator('h1').innerText(), /Sign-in not completed/);
      assert.match(await page.locator('body').innerText(), /You did not sign in with GitHub\./);
      assert.ok(
        !navigations.some((u) => u.href.startsWith(rp.redirectUri)),
        'nothing reached the relying party',
      );

      await page.getByRole('link', { name: 'Sign in another way' }).click();
      await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.has('interaction'));
      await page.fill('input[name="email"]', user.email);
      await page.fill('input[name="password"]', user.password);
      await page.click('form:has(input[name="password"]) button[type="submit"]');
      await page.waitForURL((u) => u.href.startsWith(rp.redirectUri));
      const claims = (await exchange(config, request, new URL(page.url()))).claims()!;
      assert.equal(claims.email, user.email);
      assert.ok((claims.amr as string[]).includes('pwd'), `amr ${JSON.stringify(claims.amr)}`);
      assert.ok(!(claims.amr as string[]).includes('fed'));
    } finally {
      await context.close();
    }
  });
});
