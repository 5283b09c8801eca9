// The feature-module seam, proven by a module that exists only in this test: its own migration, a
// registration hook, a second factor, a route, an /v2/auth/config member, a sign-in page link and an
// audit event type. Registered with one line (`modules: [...featureModules, codeFactor]`), it makes
// every login of its users stop at the second step — through the JSON API, /v2/session and the hosted
// pages of an OpenID Connect authorization — and the sessions it completes carry its amr.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import { defineAuditEvents } from '../../src/audit/events.js';
import { migrationSequence } from '../../src/composition.js';
import { insertAuditEvent } from '../../src/db/repositories/audit.js';
import { InvalidRequest } from '../../src/oauth/errors.js';
import type { FeatureModule } from '../../src/kernel/module.js';
import { defineModule } from '../../src/kernel/module.js';
import { featureModules } from '../../src/modules/index.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import {
  HttpAgent,
  authRequest,
  authorize,
  callbackOf,
  exchange,
  expectPage,
  expectRedirect,
  isLoginPage,
  signIn,
  startOidcApp,
  type OidcTestApp,
} from '../support/oidc.js';

const CODE = '246810';
const STEP_UP = 'urn:test:mfa';
const REFUSED = 'urn:test:refused';
const events = defineAuditEvents({ enrolled: 'test_factor.enrolled' });

/** Users whose address starts with "mfa-" get a code at registration and must give it at every login. */
const codeFactor: FeatureModule = defineModule({
  id: 'test-code-factor',
  migrations: [
    {
      version: 900,
      name: 'test_factor_codes',
      sql: `CREATE TABLE test_factor_codes (tenant_id uuid NOT NULL, user_id uuid PRIMARY KEY, code text NOT NULL)`,
    },
  ],
  auditEvents: Object.values(events),
  setup({ db }) {
    return {
      hooks: {
        async userRegistered(tx, tenant, user) {
          if (!user.email.startsWith('mfa-')) return;
          await tx.query('INSERT INTO test_factor_codes (tenant_id, user_id, code) VALUES ($1, $2, $3)', [
            tenant.id,
            user.id,
            CODE,
          ]);
          await insertAuditEvent(tx, { tenantId: tenant.id, type: events.enrolled, userId: user.id });
        },
      },
      secondFactors: [
        {
          id: 'test_code',
          label: 'Test code',
          prompt: 'The test code',
          amr: 'otp',
          async enrolled(tenant, user) {
            const r = await db.query(
              'SELECT 1 FROM test_factor_codes WHERE tenant_id = $1 AND user_id = $2',
              [tenant.id, user.id],
            );
            return r.rows.length > 0;
          },
          async verify(tenant, user, code) {
            const r = await db.query<{ code: string }>(
              'SELECT code FROM test_factor_codes WHERE tenant_id = $1 AND user_id = $2',
              [tenant.id, user.id],
            );
            return r.rows[0]?.code === code ? {} : null;
          },
        },
      ],
      // Step-up: a client asking for the test acr sends a session without the second factor to sign in again.
      loginChecks: [
        {
          name: 'test_step_up',
          needed: (request, session) => request.params.acr_values === STEP_UP && !session.amr.includes('mfa'),
        },
      ],
      authorizationChecks: [
        (request) => {
          if (request.params.acr_values === REFUSED) throw new InvalidRequest('This acr is refused.');
        },
      ],
      authConfig: () => ({ test_factor: { enabled: true } }),
      discovery: () => ({ test_factor_supported: true }),
      scopes: [
        {
          name: 'test_badge',
          description: 'See your test badge',
          byDefault: false,
          aboutUser: true,
          claims: { test_badge: (user) => `badge-${user.id.slice(0, 8)}` },
        },
      ],
      pages: { signInPage: () => ({ links: [{ href: '/help', label: 'Need help?' }] }) },
      routes: async (app, { kit }) => {
        app.get('/v2/test-module/ping', async (request) => ({ tenant: (await kit.tenantOf(request)).slug }));
      },
    };
  },
});

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp({ LOGIN_MAX_FAILURES: '3' }, { modules: [...featureModules, codeFactor] });
});
after(() => t.close());

async function registered(prefix: 'mfa' | 'plain') {
  const email = uniqueEmail(prefix).replace(/^[^@]*/, (local) => `${prefix}-${local}`);
  const r = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { email, password: STRONG_PASSWORD, tenant: 'default', name: '' };
}

describe('a feature module registered with one line', () => {
  test('its migration takes its place in the sequence, its routes answer under both prefixes, its config shows', async () => {
    const versions = migrationSequence([...featureModules, codeFactor]).map((m) => m.version);
    assert.equal(versions.at(-1), 900);
    assert.deepEqual(
      [...versions].sort((a, b) => a - b),
      versions,
    );
    assert.throws(() => migrationSequence([codeFactor, codeFactor]), /two migrations claim version 900/);

    assert.deepEqual((await t.get('/v2/test-module/ping')).body, { tenant: 'default' });
    assert.deepEqual((await t.get('/t/default/v2/test-module/ping')).body, { tenant: 'default' });
    const config = await t.get('/v2/auth/config');
    assert.deepEqual(config.body.test_factor, { enabled: true });
    // The build's sign-in methods; sign-in by email and social providers are off until a tenant turns them on.
    const social = [
      'google',
      'github',
      'microsoft',
      'apple',
      'facebook',
      'linkedin',
      'discord',
      'gitlab',
      'oidc',
    ];
    assert.deepEqual(config.body.login_methods, {
      password: true,
      magic_link: false,
      email_otp: false,
      passkey: true,
      ...Object.fromEntries(social.map((kind) => [kind, false])),
    });
    const discovery = await t.get('/.well-known/openid-configuration');
    assert.equal(discovery.body.test_factor_supported, true);
    assert.ok((discovery.body.scopes_supported as string[]).includes('test_badge'));
    assert.ok((discovery.body.claims_supported as string[]).includes('test_badge'));
  });

  test('the API login of a user with the factor stops at the second step; the right code completes it', async () => {
    const user = await registered('mfa');
    const enrolled = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'test_factor.enrolled'`,
    );
    assert.ok(
      (enrolled.rows[0] as { n: number }).n >= 1,
      'the hook wrote its audit event in the registration',
    );

    const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    assert.equal(login.status, 200);
    assert.equal(login.body.mfa_required, true);
    assert.deepEqual(login.body.factors, ['test_code']);
    assert.equal(login.body.access_token, undefined, 'no token before the second step');
    assert.equal(login.body.refresh_token, undefined);
    const mfaToken = login.body.mfa_token as string;

    const wrong = await t.post('/v2/mfa/challenge', {
      mfa_token: mfaToken,
      factor: 'test_code',
      code: '000000',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_credentials');
    const failed = await t.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE type = 'login.second_step_failed'`,
    );
    assert.ok((failed.rows[0] as { n: number }).n >= 1);

    const otherFactor = await t.post('/v2/mfa/challenge', {
      mfa_token: mfaToken,
      factor: 'totp',
      code: CODE,
    });
    assert.equal(otherFactor.status, 400);
    assert.equal(otherFactor.body.error, 'invalid_request');

    const tampered = mfaToken.slice(0, -4) + (mfaToken.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const bad = await t.post('/v2/mfa/challenge', { mfa_token: tampered, factor: 'test_code', code: CODE });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_grant');

    const done = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor: 'test_code', code: CODE });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.ok(done.body.refresh_token);
    const claims = jose.decodeJwt(done.body.access_token as string);
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    const me = await t.get('/v2/me', { authorization: `Bearer ${done.body.access_token as string}` });
    assert.equal(me.status, 200);
    assert.equal(me.body.email, user.email);
  });

  test('a challenge of another tenant does not open', async () => {
    const user = await registered('mfa');
    await t.createTenant('second-step-other');
    const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const elsewhere = await t.post('/t/second-step-other/v2/mfa/challenge', {
      mfa_token: login.body.mfa_token,
      factor: 'test_code',
      code: CODE,
    });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.error, 'invalid_grant');
  });

  test('users without the factor sign in at once', async () => {
    const user = await registered('plain');
    const login = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    assert.equal(login.status, 200);
    assert.ok(login.body.access_token);
    assert.deepEqual(jose.decodeJwt(login.body.access_token as string).amr, ['pwd']);
  });

  test('/v2/session/login stops at the second step too; completing it sets the session cookie', async () => {
    const user = await registered('mfa');
    const login = await t.post('/v2/session/login', { email: user.email, password: user.password });
    assert.equal(login.status, 200);
    assert.equal(login.body.mfa_required, true);
    assert.equal(login.headers.getSetCookie().length, 0, 'no cookie before the second step');
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: login.body.mfa_token,
      factor: 'test_code',
      code: CODE,
    });
    assert.equal(done.status, 200);
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith('hj_session') || /session/.test(c));
    assert.ok(cookie, 'the session cookie is set');
    const session = await t.get('/v2/session', { cookie: cookie.split(';')[0]! });
    assert.equal(session.status, 200);
    assert.deepEqual((session.body.session as { amr: string[] }).amr, ['pwd', 'otp', 'mfa']);
  });

  test('the hosted sign-in of an OpenID Connect authorization asks for the code; the ID token carries the amr', async () => {
    const user = await registered('mfa');
    const c = await t.createClient({ firstParty: true, scopes: ['openid', 'test_badge'] });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    const req = await authRequest(config, c, { scope: 'openid test_badge' });
    const landing = await authorize(agent, req.url, user);
    const page = expectPage(landing, 'the second-step page', (p) => p.html.includes('name="mfa_token"'));
    assert.equal(page.status, 200);
    assert.match(page.html, /Enter the code/);

    const again = expectPage(await agent.submit(page, { code: '111111' }), 'the second-step page again');
    assert.equal(again.status, 401);
    assert.match(again.html, /not correct/);

    const redirect = await agent.submit(again, { code: CODE });
    const tokens = await exchange(config, req, callbackOf(redirect, req.redirectUri));
    assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'mfa']);
    assert.match(tokens.claims()!.test_badge as string, /^badge-/, "the module's scope released its claim");
  });

  test('an API challenge cannot be completed on the hosted page, and the sign-in page shows the module link', async () => {
    const user = await registered('mfa');
    const agent = new HttpAgent();
    const loginPage = expectPage(await agent.walk(`${t.base}/login`), 'the sign-in page');
    assert.match(loginPage.html, /href="\/help">Need help\?<\/a>/);
    assert.match(loginPage.html, /href="\/forgot">Forgot your password\?<\/a>/);
    const api = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const secondStep = expectPage(
      await agent.submit(loginPage, { email: user.email, password: user.password }),
      'the second-step page',
    );
    const swapped = expectPage(
      await agent.submit(secondStep, { mfa_token: api.body.mfa_token as string, code: CODE }),
      'the sign-in page, the challenge refused',
    );
    assert.equal(swapped.status, 400);
    assert.match(swapped.html, /sign in again/);
  });

  test('its login check sends a session without the factor back to sign in; its request check refuses', async () => {
    const user = await registered('plain');
    const c = await t.createClient({ firstParty: true });
    const config = await t.rp(c);
    const agent = new HttpAgent();
    await signIn(agent, config, c, user);

    const plain = await authRequest(config, c);
    assert.ok(expectRedirect(await agent.walk(plain.url), plain.redirectUri).searchParams.has('code'));
    const stepUp = await authRequest(config, c, { acr_values: STEP_UP });
    expectPage(await agent.walk(stepUp.url), 'the sign-in page again', isLoginPage);

    const refused = await authRequest(config, c, { acr_values: REFUSED });
    const back = expectRedirect(await agent.walk(refused.url), refused.redirectUri);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.equal(back.searchParams.get('error_description'), 'This acr is refused.');
  });

  test('a challenge completes once, and a password change ends the challenges made before it', async () => {
    const user = await registered('mfa');
    const first = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    const body = { mfa_token: first.body.mfa_token, factor: 'test_code', code: CODE };
    assert.equal((await t.post('/v2/mfa/challenge', body)).status, 200);
    const replay = await t.post('/v2/mfa/challenge', body);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');

    const second = await t.post('/v2/auth/login', { email: user.email, password: user.password });
    await t.db.query(`UPDATE users SET password_hash = password_hash || 'x' WHERE email = $1`, [user.email]);
    const afterChange = await t.post('/v2/mfa/challenge', { ...body, mfa_token: second.body.mfa_token });
    assert.equal(afterChange.status, 400);
    assert.equal(afterChange.body.error, 'invalid_grant');
  });

  test('wrong codes lock the second step of the user, across fresh challenges; the right code then waits', async () => {
    const user = await registered('mfa');
    const challenge = async () =>
      (await t.post('/v2/auth/login', { email: user.email, password: user.password })).body.mfa_token;
    for (let i = 0; i < 3; i++) {
      const wrong = await t.post('/v2/mfa/challenge', {
        mfa_token: await challenge(),
        factor: 'test_code',
        code: '1',
      });
      assert.equal(wrong.status, 401, `wrong code ${i + 1}`);
    }
    const locked = await t.post('/v2/mfa/challenge', {
      mfa_token: await challenge(),
      factor: 'test_code',
      code: CODE,
    });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
  });

  test("a hosted page's challenge is not completed through the JSON API, nor /v2/session's on the page", async () => {
    const user = await registered('mfa');
    const agent = new HttpAgent();
    const loginPage = expectPage(await agent.walk(`${t.base}/login`), 'the sign-in page');
    const secondStep = expectPage(
      await agent.submit(loginPage, { email: user.email, password: user.password }),
      'the second-step page',
    );
    const pageToken = /name="mfa_token" value="([^"]+)"/.exec(secondStep.html)?.[1];
    assert.ok(pageToken);
    const viaApi = await t.post('/v2/mfa/challenge', {
      mfa_token: pageToken,
      factor: 'test_code',
      code: CODE,
    });
    assert.equal(viaApi.status, 400);
    assert.equal(viaApi.body.error, 'invalid_grant');

    const session = await t.post('/v2/session/login', { email: user.email, password: user.password });
    const onPage = expectPage(
      await agent.submit(secondStep, { mfa_token: session.body.mfa_token as string, code: CODE }),
      'the sign-in page, the challenge refused',
    );
    assert.equal(onPage.status, 400);
  });

  test('module routes answer with Cache-Control: no-store, like the core API', async () => {
    const user = await registered('plain');
    const login = await t.post('/v2/session/login', { email: user.email, password: user.password });
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    for (const response of [
      login,
      await t.get('/v2/session/token', { cookie }),
      await t.post('/v2/auth/forgot', { email: user.email }),
      await t.get('/v2/test-module/ping'),
    ]) {
      assert.equal(response.headers.get('cache-control'), 'no-store');
    }
  });
});
