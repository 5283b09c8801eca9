// The admin API's tenants: created, listed, read, changed and deleted (with confirmation), every route
// refused without an admin token, hostile settings refused with a documented 400 and nothing stored, and
// every setting enforced where it matters: the hosted pages' branding, the password policy, sign-up off
// (API, page, link, a social first sign-in), password sign-in off, a tenant's CORS origins. Every change is
// audited with the admin who made it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

describe('admin API: tenants', () => {
  let t: TestApp;
  let token: string;
  let adminId: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = auth(),
  ) => {
    const response = await fetch(`${t.base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
  const page = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${t.base}${path}`, { headers });
    return { status: response.status, headers: response.headers, html: await response.text() };
  };
  const settingsOf = async (slug: string) =>
    (
      await t.db.query<{ settings: Record<string, unknown> }>(
        'SELECT settings FROM tenants WHERE slug = $1',
        [slug],
      )
    ).rows[0]?.settings;

  before(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_IP: '10000' });
    const created = await t.app.services.admins.create('ops@example.com');
    token = created.token;
    adminId = created.adminId;
  });
  after(() => t.close());

  test('every tenant route answers 401 without a valid admin token, before looking at the body', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const cases: [string, string, unknown?][] = [
        ['GET', '/v2/admin/tenants'],
        ['POST', '/v2/admin/tenants', { slug: 'x', name: 1 }],
        ['GET', '/v2/admin/tenants/default'],
        ['PATCH', '/v2/admin/tenants/default', { settings: { sign_up: { enabled: false } } }],
        ['DELETE', '/v2/admin/tenants/default?force=true'],
        ['GET', '/v2/admin/tenants/default/audit'],
        ['GET', '/v2/admin/tenants/default/audit/export'],
      ];
      for (const [method, path, body] of cases) {
        const res = await call(method, path, body, headers);
        assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.error, 'invalid_token');
      }
    }
    assert.equal(await settingsOf('default').then((s) => JSON.stringify(s)), '{}', 'nothing changed');
  });

  test('create, list, get (by slug and id), rename; duplicates and bad slugs refused', async () => {
    const created = await call('POST', '/v2/admin/tenants', { slug: 'acme', name: 'Acme Inc.' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.slug, 'acme');
    assert.equal(created.body.issuer, `${t.base}/t/acme`);
    assert.deepEqual(created.body.effective, { sign_up_enabled: true, password_sign_in: true });
    const id = String(created.body.id);

    assert.equal((await call('POST', '/v2/admin/tenants', { slug: 'acme', name: 'Again' })).status, 409);
    for (const slug of ['Acme', '-acme', 'acme_', 'a'.repeat(64), '', 'ac me']) {
      const bad = await call('POST', '/v2/admin/tenants', { slug, name: 'Bad' });
      assert.equal(bad.status, 400, `slug ${JSON.stringify(slug)}: ${bad.text}`);
      assert.equal(bad.body.error, 'invalid_request');
    }
    const unknown = await call('POST', '/v2/admin/tenants', { slug: 'extra', name: 'X', colour: 'red' });
    assert.equal(unknown.status, 400, `unknown member: ${unknown.text}`);

    const list = await call('GET', '/v2/admin/tenants');
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.tenants as { slug: string }[]).map((x) => x.slug),
      ['default', 'acme'],
    );
    assert.equal((await call('GET', `/v2/admin/tenants/${id}`)).body.slug, 'acme');
    assert.equal((await call('GET', '/v2/admin/tenants/acme')).body.id, id);
    assert.equal((await call('GET', '/v2/admin/tenants/nope')).status, 404);

    const renamed = await call('PATCH', '/v2/admin/tenants/acme', { name: 'Acme Corp' });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.name, 'Acme Corp');
    assert.equal((await call('PATCH', '/v2/admin/tenants/acme', {})).status, 400, 'nothing to change');
  });

  test('hostile settings are refused with 400 invalid_request, and nothing is stored', async () => {
    const before = JSON.stringify(await settingsOf('acme'));
    const bad: [string, unknown][] = [
      ['a colour that is not hex', { branding: { primary_color: 'red' } }],
      ['a colour with CSS after it', { branding: { background_color: '#fff;}body{display:none' } }],
      ['a logo over http', { branding: { logo_url: 'http://cdn.example.com/logo.png' } }],
      ['a javascript: logo', { branding: { logo_url: 'javascript:alert(1)' } }],
      ['a logo with credentials', { branding: { logo_url: 'https://u:p@cdn.example.com/l.png' } }],
      [
        'CSS with url()',
        { branding: { custom_css: 'body { background-color: url(https://evil.example/x) }' } },
      ],
      ['CSS with @import', { branding: { custom_css: '@import "https://evil.example/x.css";' } }],
      [
        'CSS closing the style element',
        { branding: { custom_css: 'h1{color:red}</style><script>alert(1)</script>' } },
      ],
      ['CSS with an attribute selector', { branding: { custom_css: 'input[value^="a"]{color:red}' } }],
      [
        'CSS with a forbidden property',
        { branding: { custom_css: 'body{background-image:linear-gradient(red,blue)}' } },
      ],
      ['CSS with expression()', { branding: { custom_css: 'body{color:expression(alert(1))}' } }],
      ['CSS with an escape', { branding: { custom_css: 'body{color:\\75rl(x)}' } }],
      ['CSS with a comment', { branding: { custom_css: 'body{color:red/**/}' } }],
      ['an unknown branding member', { branding: { favicon: 'https://x.example/f.ico' } }],
      ['a misspelled switch', { sign_up: { enable: false } }],
      ['an unknown settings member', { smtp_password: 'secret' }],
      ['a switch that is not a boolean', { sign_up: { enabled: 'no' } }],
      ['a min length over the max', { password_policy: { min_length: 30, max_length: 20 } }],
      ['a min length of 0', { password_policy: { min_length: 0 } }],
      ['a CORS origin with a path', { cors: { allowed_origins: ['https://app.example.com/x'] } }],
      ['a CORS wildcard', { cors: { allowed_origins: ['*'] } }],
      ['a CORS origin over http', { cors: { allowed_origins: ['http://app.example.com'] } }],
      ['a negative retention', { audit: { retention_days: -1 } }],
    ];
    for (const [what, settings] of bad) {
      const res = await call('PATCH', '/v2/admin/tenants/acme', { settings });
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.body.error, 'invalid_request', what);
      assert.equal(typeof res.body.error_description, 'string', what);
    }
    assert.equal(JSON.stringify(await settingsOf('acme')), before, 'no refused setting was stored');
  });

  test('branding reaches the hosted pages: colours, logo and custom CSS (normalised)', async () => {
    const res = await call('PATCH', '/v2/admin/tenants/acme', {
      settings: {
        branding: {
          display_name: 'Acme Login',
          logo_url: 'https://cdn.example.com/acme.png',
          primary_color: '#0F766E',
          background_color: '#fdf6e3',
          custom_css:
            'main { border-radius: 20px; border-color: #0f766e }\nh1 { font-family: "Georgia", serif }',
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    const branding = (res.body.settings as Record<string, Record<string, unknown>>).branding!;
    assert.equal(branding.primary_color, '#0f766e');
    assert.equal(
      branding.custom_css,
      'main{border-radius:20px;border-color:#0f766e}h1{font-family:"Georgia", serif}',
    );
    const login = await page('/t/acme/login');
    assert.equal(login.status, 200);
    assert.match(login.html, /--primary:#0f766e/);
    assert.match(login.html, /body\{background:#fdf6e3\}/);
    assert.ok(
      login.html.includes('main{border-radius:20px;border-color:#0f766e}'),
      'the custom CSS is on the page',
    );
    assert.ok(login.html.includes('<img src="https://cdn.example.com/acme.png"'), 'the logo');
    assert.ok(login.html.includes('Acme Login'), 'the display name');
    // Another tenant's pages are untouched.
    assert.ok(!(await page('/login')).html.includes('#fdf6e3'));

    // A row edited by hand past the API: what fails the check is not rendered.
    await t.db.query(
      `UPDATE tenants SET settings = jsonb_set(settings, '{branding,custom_css}', to_jsonb($1::text)) WHERE slug = 'acme'`,
      ['h1{color:red}</style><script>alert(1)</script>'],
    );
    t.app.services.tenants.invalidate();
    const edited = await page('/t/acme/login');
    assert.ok(!edited.html.includes('<script>alert(1)'), 'hand-edited CSS never reaches the page');
  });

  test('the password policy applies to registration', async () => {
    const res = await call('PATCH', '/v2/admin/tenants/acme', {
      settings: { password_policy: { min_length: 40 } },
    });
    assert.equal(res.status, 200, res.text);
    const short = await t.post('/t/acme/v2/auth/register', {
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
    });
    assert.equal(short.status, 400, JSON.stringify(short.body));
    assert.equal(short.body.error, 'weak_password');
    assert.equal(
      (await call('PATCH', '/v2/admin/tenants/acme', { settings: { password_policy: null } })).status,
      200,
    );
    const ok = await t.post('/t/acme/v2/auth/register', { email: uniqueEmail(), password: STRONG_PASSWORD });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  test('sign-up off: the API answers 403, the page is gone, no link leads there, no social account is made', async () => {
    const off = await call('PATCH', '/v2/admin/tenants/acme', { settings: { sign_up: { enabled: false } } });
    assert.equal(off.status, 200, off.text);
    assert.equal((off.body.effective as { sign_up_enabled: boolean }).sign_up_enabled, false);

    const email = uniqueEmail('closed');
    const api = await t.post('/t/acme/v2/auth/register', { email, password: STRONG_PASSWORD });
    assert.equal(api.status, 403, JSON.stringify(api.body));
    assert.equal(api.body.error, 'signup_disabled');
    assert.match(String(api.body.error_description), /sign-up is off/);
    assert.equal((await page('/t/acme/register')).status, 404, 'the sign-up page');
    const login = await page('/t/acme/login');
    assert.equal(login.status, 200);
    assert.ok(!login.html.includes('Create an account'), 'no link on the sign-in page');
    assert.ok(!(await page('/t/acme/')).html.includes('/t/acme/register'), 'no link on the home page');
    // A sign-in method's first sign-in (social) goes through the same Registration.
    const tenant = await t.app.services.tenants.resolve('acme');
    await assert.rejects(
      t.app.services.registration.registerVouched(tenant, { email }, 'google', {
        ip: '127.0.0.1',
        userAgent: null,
      }),
      (error: { code?: string }) => error.code === 'signup_disabled',
    );
    const users = await t.db.query('SELECT 1 FROM users WHERE email_normalized = $1', [email]);
    assert.equal(users.rows.length, 0, 'no account was created');
    // The default tenant is not affected.
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);

    assert.equal(
      (await call('PATCH', '/v2/admin/tenants/acme', { settings: { sign_up: null } })).status,
      200,
    );
    assert.equal(
      (await t.post('/t/acme/v2/auth/register', { email, password: STRONG_PASSWORD })).status,
      201,
    );
    assert.ok((await page('/t/acme/login')).html.includes('Create an account'));
  });

  test('password sign-in off: the API refuses it and the page has no password form', async () => {
    const email = uniqueEmail('pw');
    assert.equal(
      (await t.post('/t/acme/v2/auth/register', { email, password: STRONG_PASSWORD })).status,
      201,
    );
    assert.equal((await t.post('/t/acme/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 200);
    const off = await call('PATCH', '/v2/admin/tenants/acme', { settings: { sign_in: { password: false } } });
    assert.equal(off.status, 200, off.text);
    const refused = await t.post('/t/acme/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'access_denied');
    const login = await page('/t/acme/login');
    assert.ok(!login.html.includes('type="password"'), 'no password field');
    const config = await t.get('/t/acme/v2/auth/config');
    assert.equal((config.body.login_methods as Record<string, boolean>).password, false);
    assert.equal(
      (await call('PATCH', '/v2/admin/tenants/acme', { settings: { sign_in: null } })).status,
      200,
    );
    assert.equal((await t.post('/t/acme/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 200);
  });

  test("a tenant's CORS origins are allowed on its routes only", async () => {
    const res = await call('PATCH', '/v2/admin/tenants/acme', {
      settings: { cors: { allowed_origins: ['https://app.acme.example'] } },
    });
    assert.equal(res.status, 200, res.text);
    const ask = (path: string, origin: string) =>
      fetch(`${t.base}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await ask('/t/acme/v2/auth/login', 'https://app.acme.example');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.acme.example');
    assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
    const simple = await fetch(`${t.base}/t/acme/v2/auth/config`, {
      headers: { origin: 'https://app.acme.example' },
    });
    assert.equal(simple.headers.get('access-control-allow-origin'), 'https://app.acme.example');
    for (const [path, origin] of [
      ['/t/acme/v2/auth/login', 'https://evil.example'],
      ['/v2/auth/login', 'https://app.acme.example'],
      ['/v2/admin/tenants', 'https://app.acme.example'],
    ] as const) {
      const refused = await ask(path, origin);
      assert.equal(refused.headers.get('access-control-allow-origin'), null, `${path} from ${origin}`);
    }
  });

  test('every change is audited with the admin who made it', async () => {
    const events = await t.db.query<{ type: string; data: Record<string, unknown>; ip: string | null }>(
      `SELECT type, data, ip FROM audit_events a JOIN tenants t ON t.id = a.tenant_id
        WHERE t.slug = 'acme' AND type LIKE 'tenant.%' ORDER BY a.id`,
    );
    assert.ok(events.rows.length >= 5, `events: ${events.rows.length}`);
    assert.equal(events.rows[0]!.type, 'tenant.created');
    for (const e of events.rows) {
      assert.equal(e.data.admin_id, adminId, e.type);
      assert.equal(e.data.via, 'admin_api', e.type);
      assert.ok(e.ip, `${e.type}: the address is kept`);
    }
    const settings = events.rows.filter((e) => e.type === 'tenant.updated').map((e) => e.data.settings);
    assert.ok(
      settings.some((s) => JSON.stringify(s) === '["sign_up"]'),
      JSON.stringify(settings),
    );
  });

  test('delete: not the default tenant, not one with users unless forced; everything of it goes', async () => {
    const home = await call('DELETE', '/v2/admin/tenants/default?force=true');
    assert.equal(home.status, 409, home.text);
    assert.match(String(home.body.error_description), /default tenant/);

    const refused = await call('DELETE', '/v2/admin/tenants/acme');
    assert.equal(refused.status, 409, refused.text);
    assert.match(String(refused.body.error_description), /has \d+ user\(s\).*force/);
    assert.equal((await call('GET', '/v2/admin/tenants/acme')).status, 200, 'still there');
    assert.equal((await call('DELETE', '/v2/admin/tenants/acme?force=maybe')).status, 400);

    const deleted = await call('DELETE', '/v2/admin/tenants/acme?force=true');
    assert.equal(deleted.status, 200, deleted.text);
    assert.ok(Number(deleted.body.users_deleted) >= 3);
    assert.equal((await call('GET', '/v2/admin/tenants/acme')).status, 404);
    assert.equal(
      (await t.post('/t/acme/v2/auth/register', { email: uniqueEmail(), password: STRONG_PASSWORD })).status,
      404,
    );
    const left = await t.db.query(`SELECT 1 FROM users WHERE tenant_id = $1`, [deleted.body.id]);
    assert.equal(left.rows.length, 0);
    const trail = await t.db.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM audit_events WHERE type = 'tenant.deleted'`,
    );
    assert.equal(trail.rows[0]?.data.slug, 'acme');
    assert.equal(trail.rows[0]?.data.admin_id, adminId);

    // An empty tenant goes without confirmation.
    assert.equal((await call('POST', '/v2/admin/tenants', { slug: 'empty', name: 'Empty' })).status, 201);
    assert.equal((await call('DELETE', '/v2/admin/tenants/empty')).status, 200);
  });

  test('create with settings: validated before anything is created', async () => {
    const bad = await call('POST', '/v2/admin/tenants', {
      slug: 'styled',
      name: 'Styled',
      settings: { branding: { custom_css: '@import url(x)' } },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal((await call('GET', '/v2/admin/tenants/styled')).status, 404, 'not created');
    const good = await call('POST', '/v2/admin/tenants', {
      slug: 'styled',
      name: 'Styled',
      settings: { sign_up: { enabled: false } },
    });
    assert.equal(good.status, 201, good.text);
    assert.equal((good.body.effective as { sign_up_enabled: boolean }).sign_up_enabled, false);
  });
});
