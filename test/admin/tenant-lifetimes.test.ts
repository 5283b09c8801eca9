// A tenant's token and session lifetimes (settings.lifetimes), set through the admin API and followed by
// everything that issues: the first-party login and refresh (expires_in, exp - iat), the OAuth code flow
// (access and ID token), the session row, its refresh token and the browser cookie. Another tenant keeps
// the installation's defaults; values out of bounds are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { STRONG_PASSWORD } from '../support/app.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  tokenRequest,
  startOidcApp,
  type OidcTestApp,
} from '../support/oidc.js';

const LIFETIMES = { access_token: 120, id_token: 300, refresh_token: 3600, session: 7200, session_idle: 600 };

describe('tenant lifetimes', () => {
  let t: OidcTestApp;
  let admin: Record<string, string>;
  const patch = (slug: string, body: unknown, headers = admin) =>
    fetch(`${t.base}/v2/admin/tenants/${slug}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
  const lifespan = (jwt: unknown) => {
    const claims = decodeJwt(String(jwt));
    return claims.exp! - claims.iat!;
  };
  /** Seconds between a row's creation and its deadlines. */
  const sessionRow = async (id: string) =>
    (
      await t.db.query<{ life: number; idle: number; refresh: number | null }>(
        `SELECT extract(epoch FROM s.expires_at - s.created_at)::int AS life,
                extract(epoch FROM s.idle_expires_at - s.created_at)::int AS idle,
                (SELECT extract(epoch FROM max(r.expires_at - r.created_at))::int
                   FROM refresh_tokens r WHERE r.session_id = s.id) AS refresh
           FROM sessions s WHERE s.id = $1`,
        [id],
      )
    ).rows[0]!;

  before(async () => {
    t = await startOidcApp({ RATE_LIMIT_PER_IP: '10000' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('ops@example.com')).token}` };
    await t.createTenant('short');
    await t.createTenant('other');
  });
  after(() => t.close());

  test('set through PATCH; bad values refused with 400 and nothing stored', async () => {
    for (const [what, lifetimes] of [
      ['an access token under a minute', { access_token: 59 }],
      ['an access token over a day', { access_token: 86_401 }],
      ['a fraction', { id_token: 90.5 }],
      ['a string', { session: '3600' }],
      ['idle longer than the session', { session: 600, session_idle: 601 }],
      ['an unknown member', { access: 120 }],
      ['a refresh token over a year', { refresh_token: 31_536_001 }],
    ] as const) {
      const res = await patch('short', { settings: { lifetimes } });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request', what);
    }
    const stored = await t.db.query("SELECT settings FROM tenants WHERE slug = 'short'");
    assert.equal(JSON.stringify(stored.rows[0]!.settings), '{}');

    const ok = await patch('short', { settings: { lifetimes: LIFETIMES } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual((ok.body.settings as Record<string, unknown>).lifetimes, LIFETIMES);
  });

  test('first-party login and refresh: expires_in, exp - iat, the session row and its refresh token', async () => {
    const user = await t.createUser('short');
    const login = await t.post('/t/short/v2/auth/login', { email: user.email, password: STRONG_PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.expires_in, 120);
    assert.equal(lifespan(login.body.access_token), 120);
    const sid = String(decodeJwt(String(login.body.access_token)).sid);
    assert.deepEqual(await sessionRow(sid), { life: 7200, idle: 600, refresh: 3600 });

    const refreshed = await t.post('/t/short/v2/auth/refresh', { refresh_token: login.body.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.expires_in, 120);
    assert.equal(lifespan(refreshed.body.access_token), 120);

    // Another tenant: the installation's defaults (ACCESS_TTL 15m, SESSION_TTL 24h, REFRESH_TTL 720h
    // capped by the session).
    const other = await t.createUser('other');
    const theirs = await t.post('/t/other/v2/auth/login', { email: other.email, password: STRONG_PASSWORD });
    assert.equal(theirs.body.expires_in, 900);
    assert.equal(lifespan(theirs.body.access_token), 900);
    const otherSid = String(decodeJwt(String(theirs.body.access_token)).sid);
    assert.deepEqual(await sessionRow(otherSid), { life: 86_400, idle: 86_400, refresh: 86_400 });
  });

  test('browser session: the cookie lives as long as the session; its access token too', async () => {
    const user = await t.createUser('short');
    const res = await fetch(`${t.base}/t/short/v2/session/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: t.base },
      body: JSON.stringify({ email: user.email, password: STRONG_PASSWORD }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const cookie = res.headers.getSetCookie().find((c) => /session/i.test(c) && /Max-Age=/i.test(c));
    assert.ok(cookie, res.headers.getSetCookie().join('\n'));
    const maxAge = Number(/Max-Age=(\d+)/i.exec(cookie)![1]);
    assert.ok(maxAge > 7190 && maxAge <= 7200, `Max-Age=${maxAge}`);
    const body = (await res.json()) as { session: { id: string; expires_at: string } };
    assert.deepEqual(await sessionRow(body.session.id), { life: 7200, idle: 600, refresh: null });

    const token = await fetch(`${t.base}/t/short/v2/session/token`, {
      headers: { cookie: cookie.split(';')[0]! },
    });
    const tokenBody = (await token.json()) as Record<string, unknown>;
    assert.equal(token.status, 200, JSON.stringify(tokenBody));
    assert.equal(tokenBody.expires_in, 120);
    assert.equal(lifespan(tokenBody.access_token), 120);
  });

  test('OAuth code flow: access token, ID token and refresh token follow the tenant', async () => {
    const c = await t.createClient({ tenant: 'short', firstParty: true });
    const user = await t.createUser('short');
    const req = await authRequest(await t.rp(c), c);
    const landing = await authorize(new HttpAgent(), req.url, user);
    assert.equal(landing.kind, 'redirect');
    const code = (landing as { url: URL }).url.searchParams.get('code')!;
    const r = await tokenRequest(c, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: req.redirectUri,
      code_verifier: req.verifier,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.expires_in, 120);
    assert.equal(lifespan(r.body.access_token), 120);
    assert.equal(lifespan(r.body.id_token), 300);
    const sid = String(decodeJwt(String(r.body.access_token)).sid);
    assert.deepEqual(await sessionRow(sid), { life: 7200, idle: 600, refresh: 3600 });

    // Reset: the defaults again, at once (the change drops the cached tenant).
    assert.equal((await patch('short', { settings: { lifetimes: null } })).status, 200);
    const again = await tokenRequest(c, {
      grant_type: 'refresh_token',
      refresh_token: String(r.body.refresh_token),
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.expires_in, 900);
    assert.equal(lifespan(again.body.id_token), 3600);
  });
});
